#pragma once
// Session IDs in SSM's form: the user who started the session, '-', 17 hex digits.
#include <string>

namespace sshm::session {

// The local user running sshm ($USER, else the password database, else "sshm").
std::string local_user();
// "<user>-0123456789abcdef0": the user cut to what an ID may hold ([A-Za-z0-9._-], at most
// 32), then 17 random hex digits.
std::string new_session_id(const std::string& user);

} // namespace sshm::session
