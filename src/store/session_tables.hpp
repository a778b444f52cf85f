#pragma once
// Session Manager sessions in the state store, in the shape of SSM's Session object
// (DescribeSessions): SessionId, Target, Owner, DocumentName, Status, Reason, StartDate,
// EndDate; plus where the local transcript is and which process drives the session.
#include "store/store.hpp"

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace sshm::store {

struct SessionRecord {
  std::string session_id;     // "<user>-<17 hex digits>", as SSM's
  std::string target;         // the host
  std::string owner;          // the local user who started it
  std::string document_name;  // SSM-SessionManagerRunShell, AWS-StartPortForwardingSession, ...
  std::string status;         // Connected, Terminated, Failed
  std::string reason;         // why it ended (or "" while Connected)
  std::string start_date;     // ISO 8601
  std::string end_date;       // "" while Connected
  std::string run_as;         // the session's user on the host ("" the login user)
  std::string transcript;     // path relative to the state dir, "" when none
  nlohmann::json controller = nlohmann::json::object();  // the sshm process (pid, start, boot, host)
  nlohmann::json details = nlohmann::json::object();     // exit status, parameters, uploads
};

// Inserts or replaces the session's row. Throws StoreError when it cannot write.
void save_session(Store& store, const SessionRecord& session);
// Sessions newest first; `status` "" for any; limit 0 for all.
std::vector<SessionRecord> list_sessions(const Store& store, const std::string& status = "", int limit = 0);
// The session with this full ID, or a unique prefix of it. Throws InputError when nothing or
// several sessions match.
SessionRecord get_session(const Store& store, const std::string& id_or_prefix);

} // namespace sshm::store
