#pragma once
// Plugins that stand on higher-level folders (patch, inventory) and so are registered
// here, above them, into the executor's plugin table.

namespace sshm::engine {

// Registers sshm:runPatchBaseline (AWS-RunPatchBaseline's Linux step). Idempotent.
void register_builtin_plugins();

} // namespace sshm::engine
