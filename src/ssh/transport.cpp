#include "ssh/transport.hpp"

namespace sshm::ssh {

const char* to_string(HostKeyPolicy p) {
  switch (p) {
  case HostKeyPolicy::strict: return "strict";
  case HostKeyPolicy::accept_new: return "accept-new";
  case HostKeyPolicy::off: return "off";
  }
  return "strict";
}

const char* to_string(FailureKind k) {
  switch (k) {
  case FailureKind::resolve: return "resolve";
  case FailureKind::connect_refused: return "connect_refused";
  case FailureKind::connect_timeout: return "connect_timeout";
  case FailureKind::host_key_unknown: return "host_key_unknown";
  case FailureKind::host_key_changed: return "host_key_changed";
  case FailureKind::auth_denied: return "auth_denied";
  case FailureKind::protocol: return "protocol";
  case FailureKind::channel: return "channel";
  case FailureKind::dropped: return "dropped";
  case FailureKind::cancelled: return "cancelled";
  case FailureKind::sudo: return "sudo";
  }
  return "protocol";
}

} // namespace sshm::ssh
