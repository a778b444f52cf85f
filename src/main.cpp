#include "cli/app.hpp"

int main(int argc, char** argv) { return sshm::cli::main(argc, argv); }
