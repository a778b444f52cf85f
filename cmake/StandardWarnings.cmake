# Warnings for our own code (not for third-party headers, which come in as SYSTEM).
add_library(sshm_warnings INTERFACE)
target_compile_options(sshm_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast -Wcast-align
  -Woverloaded-virtual -Wdouble-promotion -Wformat=2
  -Wimplicit-fallthrough -Wmisleading-indentation -Wduplicated-cond -Wlogical-op)
if(SSHM_WERROR)
  target_compile_options(sshm_warnings INTERFACE -Werror)
endif()
