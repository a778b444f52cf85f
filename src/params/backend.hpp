#pragma once
// The Parameter Store operations, one method per SSM API call, behind one interface so the
// local store and (later) the AWS service answer the same commands. Values come back as
// the caller may see them: a SecureString's plain text only when decryption was asked for,
// otherwise its encrypted blob in base64, as the service returns it.
#include "params/parameter.hpp"
#include "util/time.hpp"

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace sshm::params {

// One ParameterStringFilter: Key, Option (may be empty: the key's default), Values.
struct Filter {
  std::string key;
  std::string option;
  std::vector<std::string> values;
};

struct GetManyResult {
  std::vector<Version> parameters;
  std::vector<std::string> invalid;  // names (with their selectors) that match nothing
};

struct LabelResult {
  std::vector<std::string> invalid_labels;
  long long version = 0;
};

struct UnlabelResult {
  std::vector<std::string> removed;
  std::vector<std::string> invalid;
};

struct DeleteManyResult {
  std::vector<std::string> deleted;
  std::vector<std::string> invalid;
};

// A notification policy's state at one moment.
struct PolicyNotice {
  std::string name;
  std::string type;  // Expiration, ExpirationNotification, NoChangeNotification
  SystemTime at{};   // when it expires or notifies
  bool due = false;  // a notification whose time has come
  std::string text;  // one line for people
};

class Backend {
public:
  virtual ~Backend() = default;
  // PutParameter: the new version, with its tier.
  virtual Version put(const PutRequest& request) = 0;
  // GetParameter: `selector` is "name", "name:3" or "name:label".
  virtual Version get(const std::string& selector, bool with_decryption) = 0;
  // GetParameters: at most 10 names; unknown ones come back in `invalid`.
  virtual GetManyResult get_many(const std::vector<std::string>& selectors, bool with_decryption) = 0;
  // GetParametersByPath with Type, KeyId and Label filters.
  virtual std::vector<Version> by_path(const std::string& path, bool recursive, const std::vector<Filter>& filters,
                                       bool with_decryption) = 0;
  // GetParameterHistory: every kept version, oldest first, with labels.
  virtual std::vector<Version> history(const std::string& name, bool with_decryption) = 0;
  // DescribeParameters with Name, Type, KeyId, Path, Tier and DataType filters.
  virtual std::vector<Version> describe(const std::vector<Filter>& filters) = 0;
  // LabelParameterVersion: the latest version when `version` is empty.
  virtual LabelResult label(const std::string& name, std::optional<long long> version,
                            const std::vector<std::string>& labels) = 0;
  virtual UnlabelResult unlabel(const std::string& name, long long version, const std::vector<std::string>& labels) = 0;
  // DeleteParameter: every version and label.
  virtual void remove(const std::string& name) = 0;
  virtual DeleteManyResult remove_many(const std::vector<std::string>& names) = 0;
  // Notification and expiration policies of every parameter, at the clock's now.
  virtual std::vector<PolicyNotice> check_policies() = 0;
};

// The local store: SQLite at `db_file` (created 0600), SecureString values sealed under the
// key in `key_file` (created 0600 on first use).
class LocalBackend : public Backend {
public:
  // Re-encrypts every SecureString value under a new key and replaces the key file; returns
  // how many values were re-encrypted.
  virtual size_t rotate_key() = 0;
};
std::unique_ptr<LocalBackend> open_local(const std::filesystem::path& db_file, const std::filesystem::path& key_file,
                                         const Clock& clock);

// Checks filters against what the call accepts; throws InvalidFilterKey, InvalidFilterOption
// or InvalidFilterValue. `allowed_keys` names the keys the call takes.
void check_filters(const std::vector<Filter>& filters, const std::vector<std::string>& allowed_keys);
// Whether a parameter's latest version passes the filters (Label is left to the backend).
bool passes(const Version& v, const std::vector<Filter>& filters);
// GetParametersByPath's choice: the path normalised ("/a/" -> "/a"); throws ValidationException
// unless it begins with '/'.
std::string normalise_path(const std::string& path);
bool under_path(const std::string& name, const std::string& path, bool recursive);

} // namespace sshm::params
