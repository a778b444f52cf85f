#include "packages/repository.hpp"

#include "aws/http.hpp"
#include "aws/s3.hpp"
#include "util/error.hpp"
#include "util/safe_path.hpp"
#include "util/spell.hpp"
#include "util/strings.hpp"
#include "util/time.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fmt/format.h>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <tuple>

namespace sshm::packages {

namespace fs = std::filesystem;

namespace {

// The most an archive may hold, as aws:downloadContent's limit.
constexpr std::uintmax_t k_archive_limit = 64ULL * 1024 * 1024;
constexpr const char* k_record = "package.json";

bool read_whole(const fs::path& path, std::string& out) {
  std::error_code ec;
  auto size = fs::file_size(path, ec);
  if (ec || size > k_archive_limit) return false;
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  out = ss.str();
  return static_cast<bool>(in) || in.eof();
}

void write_private(const fs::path& path, const std::string& bytes) {
  std::FILE* f = open_private_file(path);
  if (!f) throw RuntimeError(fmt::format("cannot write {}: {}", path.string(), std::strerror(errno)));
  bool ok = std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
  const int write_errno = errno;
  ok = std::fclose(f) == 0 && ok;
  if (!ok) {
    // A version with no package.json is not listed; the partial file goes too.
    const int why = write_errno ? write_errno : errno;
    std::error_code ec;
    fs::remove(path, ec);
    throw RuntimeError(fmt::format("cannot write {}: {}", path.string(), std::strerror(why)));
  }
}

// Each archive of the manifest as it is in `dir`, its checksum checked.
std::map<std::string, std::string> read_archives(const fs::path& dir, const Manifest& m) {
  std::map<std::string, std::string> out;
  for (const auto& [file, sum] : m.sha256) {
    std::string bytes;
    if (!read_whole(dir / file, bytes))
      throw InputError(Location{(dir / file).string()},
                       fmt::format("archive '{}' listed in manifest.json is missing, unreadable or over 64 MiB", file));
    std::string actual = aws::sha256_hex(bytes);
    if (actual != sum)
      throw InputError(Location{(dir / file).string()},
                       fmt::format("archive '{}' has sha256 {}, manifest.json says {}", file, actual, sum));
    out[file] = std::move(bytes);
  }
  return out;
}

// s3://BUCKET[/PREFIX] as bucket and a key prefix ending in '/' (or "").
std::pair<std::string, std::string> split_bucket(const std::string& uri) {
  if (!starts_with(uri, "s3://") || uri.size() <= 5) throw InputError(fmt::format("--bucket '{}' is not s3://BUCKET[/PREFIX]", uri));
  std::string rest = uri.substr(5);
  auto slash = rest.find('/');
  std::string bucket = rest.substr(0, slash);
  std::string prefix = slash == std::string::npos ? "" : trim(rest.substr(slash + 1));
  while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
  if (bucket.empty()) throw InputError(fmt::format("--bucket '{}' names no bucket", uri));
  return {bucket, prefix.empty() ? "" : prefix + "/"};
}

std::string upload(const std::string& bucket_uri, const std::string& name, const Manifest& m,
                   const std::string& manifest_text, const std::map<std::string, std::string>& archives,
                   const aws::AwsOptions& options) {
  auto [bucket, prefix] = split_bucket(bucket_uri);
  std::string base = prefix + name + "/" + m.version + "/";
  aws::AwsContext context(options);
  aws::S3Client s3(context);
  for (const auto& [file, bytes] : archives)
    if (auto error = s3.put_object(bucket, base + file, bytes))
      throw RuntimeError(fmt::format("S3 PutObject s3://{}/{}{}: {}", bucket, base, file, error->text()));
  if (auto error = s3.put_object(bucket, base + "manifest.json", manifest_text))
    throw RuntimeError(fmt::format("S3 PutObject s3://{}/{}manifest.json: {}", bucket, base, error->text()));
  return fmt::format("s3://{}/{}", bucket, base);
}

std::optional<PackageVersion> load_version(const fs::path& dir, const std::string& name) {
  std::string manifest_text, record_text;
  if (!read_whole(dir / "manifest.json", manifest_text) || !read_whole(dir / k_record, record_text)) return std::nullopt;
  nlohmann::json record = nlohmann::json::parse(record_text, nullptr, false);
  if (!record.is_object()) return std::nullopt;
  PackageVersion pv;
  try {
    pv.manifest = parse_manifest(manifest_text, (dir / "manifest.json").string());
  } catch (const InputError&) {
    return std::nullopt;
  }
  pv.name = name;
  pv.manifest_text = std::move(manifest_text);
  pv.created_date = record.value("CreatedDate", "");
  pv.location = record.value("Location", "");
  pv.dir = dir;
  return pv;
}

std::vector<PackageVersion> versions_of(const fs::path& state_dir, const std::string& name) {
  std::vector<PackageVersion> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(packages_root(state_dir) / name, ec))
    if (auto pv = load_version(entry.path(), name)) out.push_back(std::move(*pv));
  std::sort(out.begin(), out.end(), [](const PackageVersion& a, const PackageVersion& b) {
    return std::tie(a.created_date, a.manifest.version) < std::tie(b.created_date, b.manifest.version);
  });
  return out;
}

std::vector<std::string> names(const fs::path& state_dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(packages_root(state_dir), ec))
    if (package_name_problem(entry.path().filename().string()).empty()) out.push_back(entry.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

} // namespace

fs::path packages_root(const fs::path& state_dir) { return state_dir / "packages"; }

PackageVersion create_package(const fs::path& state_dir, const fs::path& dir, const std::string& name_option,
                              const std::string& bucket, const aws::AwsOptions& aws) {
  std::string name = name_option.empty() ? fs::absolute(dir).lexically_normal().filename().string() : name_option;
  if (name.empty()) name = fs::absolute(dir).lexically_normal().parent_path().filename().string();
  if (std::string problem = package_name_problem(name); !problem.empty())
    throw InputError(problem + (name_option.empty() ? " (give another with --name)" : ""));
  std::string manifest_text;
  fs::path manifest_path = dir / "manifest.json";
  if (!read_whole(manifest_path, manifest_text))
    throw InputError(Location{manifest_path.string()}, "cannot read manifest.json (a package folder holds manifest.json and its archives)");
  Manifest m = parse_manifest(manifest_text, manifest_path.string());
  auto archives = read_archives(dir, m);
  fs::path target = packages_root(state_dir) / name / m.version;
  std::error_code ec;
  if (fs::exists(target / k_record, ec))
    throw InputError(fmt::format("package {} version {} exists already (delete it first, or raise \"version\")", name, m.version));
  std::string location = bucket.empty() ? "" : upload(bucket, name, m, manifest_text, archives, aws);
  create_private_dirs(target, ec);
  if (ec) throw RuntimeError(fmt::format("cannot create {}: {}", target.string(), ec.message()));
  if (location.empty())
    for (const auto& [file, bytes] : archives) write_private(target / file, bytes);
  write_private(target / "manifest.json", manifest_text);
  nlohmann::json record = {{"Name", name}, {"CreatedDate", iso8601_ms(SystemClock::instance().now())}, {"Location", location}};
  write_private(target / k_record, record.dump(2) + "\n");
  auto pv = load_version(target, name);
  if (!pv) throw RuntimeError(fmt::format("cannot read back {}", target.string()));
  return *pv;
}

std::vector<PackageVersion> list_packages(const fs::path& state_dir) {
  std::vector<PackageVersion> out;
  for (const auto& name : names(state_dir))
    for (auto& pv : versions_of(state_dir, name)) out.push_back(std::move(pv));
  return out;
}

PackageVersion find_package(const fs::path& state_dir, const std::string& name, const std::string& version) {
  auto versions = package_name_problem(name).empty() ? versions_of(state_dir, name) : std::vector<PackageVersion>{};
  if (versions.empty())
    throw InputError(fmt::format("no package '{}' (see `sshm packages list`)", printable_name(name)),
                     closest_match(name, names(state_dir)));
  if (version.empty()) return versions.back();
  std::vector<std::string> have;
  for (const auto& pv : versions) {
    if (pv.manifest.version == version) return pv;
    have.push_back(pv.manifest.version);
  }
  throw InputError(fmt::format("package {} has no version '{}' (it has {})", name, printable_name(version), join(have, ", ")),
                   closest_match(version, have));
}

std::vector<std::string> delete_package(const fs::path& state_dir, const std::string& name, const std::string& version) {
  std::vector<PackageVersion> doomed;
  if (version.empty()) doomed = versions_of(state_dir, name);
  else doomed.push_back(find_package(state_dir, name, version));
  if (doomed.empty()) (void)find_package(state_dir, name, "");
  std::vector<std::string> removed;
  for (const auto& pv : doomed) {
    std::error_code ec;
    fs::remove_all(pv.dir, ec);
    if (ec) throw RuntimeError(fmt::format("cannot remove {}: {}", pv.dir.string(), ec.message()));
    removed.push_back(pv.manifest.version);
  }
  std::error_code ec;
  if (fs::is_empty(packages_root(state_dir) / name, ec)) fs::remove(packages_root(state_dir) / name, ec);
  return removed;
}

std::string read_local_archive(const PackageVersion& pv, const std::string& file, std::string& error) {
  std::string bytes;
  auto sum = pv.manifest.sha256.find(file);
  if (sum == pv.manifest.sha256.end()) {
    error = fmt::format("{} is not an archive of {} {}", file, pv.name, pv.manifest.version);
    return {};
  }
  if (!read_whole(pv.dir / file, bytes)) {
    error = fmt::format("cannot read the archive {} of {} {}", file, pv.name, pv.manifest.version);
    return {};
  }
  if (std::string actual = aws::sha256_hex(bytes); actual != sum->second) {
    error = fmt::format("the archive {} of {} {} has sha256 {}, its manifest says {}: refused, nothing was run",
                        file, pv.name, pv.manifest.version, actual, sum->second);
    return {};
  }
  return bytes;
}

} // namespace sshm::packages
