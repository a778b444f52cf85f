#pragma once
// Choosing hosts: the -t / --exclude flags every command that selects hosts shares.
#include "cli/app.hpp"
#include "fleet/inventory.hpp"

#include <string>
#include <vector>

namespace sshm::cli {

// Target flags shared by every command that selects hosts.
struct TargetOptions {
  std::vector<std::string> targets;
  std::vector<std::string> excludes;
};
void add_target_options(CLI::App* cmd, TargetOptions& opts, bool required = true);
// The hosts the options select. Before the target parser sees them, expressions of the exact
// form @STATE:ID (STATE one of failed, timedout, undeliverable, success, cancelled,
// terminated, delivery-timed-out; ID a command ID or a unique prefix) become the hosts of
// that earlier command in that state; none in that state is an empty selection (InputError).
std::vector<const fleet::Host*> select(const GlobalOptions& global, const fleet::Inventory& inv,
                                       const TargetOptions& opts);
// The same, after adding to `inv` each name a -t expression lists (web1 or web1,web2) that is
// neither a host nor a group of the inventory but a Host the ssh config names (`-t alias1`).
std::vector<const fleet::Host*> select(const GlobalOptions& global, fleet::Inventory& inv, const TargetOptions& opts);

} // namespace sshm::cli
