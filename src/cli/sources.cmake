target_sources(sshm_lib PRIVATE
  cli/app.cpp
  cli/commands.cpp
  cli/common.cpp
  cli/hosts.cpp
  cli/ping.cpp
)
