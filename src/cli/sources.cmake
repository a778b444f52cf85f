target_sources(sshm_lib PRIVATE
  cli/app.cpp
  cli/common.cpp
  cli/hosts.cpp
  cli/ping.cpp
  cli/outputs.cpp
  cli/sink_options.cpp
)
