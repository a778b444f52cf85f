target_sources(sshm_lib PRIVATE
  cli/app.cpp
  cli/commands.cpp
  cli/common.cpp
  cli/documents.cpp
  cli/help.cpp
  cli/hosts.cpp
  cli/patch.cpp
  cli/inventory.cpp
  cli/ping.cpp
  cli/outputs.cpp
  cli/params.cpp
  cli/run.cpp
  cli/schedule.cpp
  cli/run_output.cpp
  cli/sink_options.cpp
)
