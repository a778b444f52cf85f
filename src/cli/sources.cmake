target_sources(sshm_lib PRIVATE
  cli/app.cpp
  cli/common.cpp
  cli/documents.cpp
  cli/hosts.cpp
  cli/ping.cpp
)
