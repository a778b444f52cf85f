target_sources(sshm_lib PRIVATE
  ssh/auth.cpp
  ssh/bastion.cpp
  ssh/config.cpp
  ssh/dial.cpp
  ssh/interactive.cpp
  ssh/known_hosts.cpp
  ssh/libssh_common.cpp
  ssh/libssh_session.cpp
  ssh/libssh_transport.cpp
  ssh/transport.cpp
  ssh/watchdog.cpp
)
