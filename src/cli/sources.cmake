target_sources(sshm_lib PRIVATE
  cli/app.cpp
  cli/commands.cpp
  cli/common.cpp
  cli/hosts.cpp
  cli/inventory.cpp
  cli/ping.cpp
)
if(SSHM_WITH_RUN)
target_sources(sshm_lib PRIVATE cli/run.cpp cli/run_output.cpp
)
endif()
