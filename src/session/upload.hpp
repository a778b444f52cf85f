#pragma once
// Where a session's log goes besides the state dir, as the preferences say: S3
// (<s3KeyPrefix>/<SessionId>.log, at the end) and CloudWatch Logs (stream <SessionId>, live
// with cloudWatchStreamingEnabled, else at the end).
#include "session/document.hpp"
#include "store/session_tables.hpp"

#include <filesystem>

namespace sshm::session {

// Uploads the finished session's log where the plan's preferences say; records what was
// done (or spooled) in rec.details["Uploads"]. Never throws: a failure is reported on stderr
// and spooled for `sshm outputs flush`.
void finish_uploads(const SessionPlan& plan, store::SessionRecord& rec, const std::filesystem::path& state_dir);

} // namespace sshm::session
