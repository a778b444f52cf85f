target_sources(sshm_lib PRIVATE
  ssh/config.cpp
  ssh/libssh_transport.cpp
  ssh/transport.cpp
)
