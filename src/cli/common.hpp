#pragma once
// Every shared piece of the command line at once, for command groups that use most of them.
// Prefer the topic headers: global_options (inventory, state dir, ssh config, endpoints),
// select (targets), preflight (host keys), output (SyncOut, JSON/YAML).
#include "cli/app.hpp"
#include "cli/global_options.hpp"
#include "cli/output.hpp"
#include "cli/preflight.hpp"
#include "cli/select.hpp"
#include "fleet/targets.hpp"
#include "ssh/libssh_transport.hpp"
