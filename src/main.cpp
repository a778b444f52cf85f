#include "cli/app.hpp"

#include <cstdio>
#include <exception>

// The last guard: cli::main turns every error into a message and an exit status; anything
// that still escapes (while the command line is being set up) is said, never an abort.
int main(int argc, char** argv) {
  try {
    return sshm::cli::main(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "sshm: error: %s\n", e.what());
  } catch (...) {
    std::fprintf(stderr, "sshm: error: an unknown error ended the command\n");
  }
  return 1;
}
