#pragma once
// Reads for `sshm report` that the other tables' functions do not offer cheaply at fleet
// scale: one statement each, no outputs read from disk.
#include "store/store.hpp"

#include <string>
#include <vector>

namespace sshm::store {

// One invocation of a command as a report needs it. StandardErrorContent is read only for
// invocations that did not succeed ("" otherwise), so a big successful run stays cheap.
struct InvocationBrief {
  std::string instance_id;
  std::string status;
  std::string status_details;
  int response_code = -1;
  std::string execution_end_date_time;
  std::string standard_error_content;
  std::string failure_kind;
  std::string failure_message;
};

// The command's invocations by host name.
std::vector<InvocationBrief> invocation_briefs(const Store& store, const std::string& command_id);

// A host's most recent invocation of any command: whether sshm reached it then.
struct HostContact {
  std::string instance_id;
  std::string requested_date_time;
  std::string status;
  std::string failure_kind;  // "" when the command was delivered
};

// The latest invocation of every host that has one, by host name.
std::vector<HostContact> last_contacts(const Store& store);

} // namespace sshm::store
