target_sources(sshm_lib PRIVATE
  ssh/transport.cpp
)
