#include "session/session_id.hpp"

#include "util/ids.hpp"

#include <cstdlib>
#include <pwd.h>
#include <unistd.h>

namespace sshm::session {

std::string local_user() {
  if (const char* u = std::getenv("USER"); u && *u) return u;
  if (const passwd* pw = ::getpwuid(::getuid()); pw && pw->pw_name) return pw->pw_name;
  return "sshm";
}

std::string new_session_id(const std::string& user) {
  std::string clean;
  for (char c : user) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
              c == '-';
    if (ok && clean.size() < 32) clean += c;
  }
  if (clean.empty()) clean = "sshm";
  return clean + "-" + random_hex(9).substr(0, 17);
}

} // namespace sshm::session
