target_sources(sshm_lib PRIVATE
  engine/rate.cpp
  engine/dispatch.cpp
  engine/run.cpp
  engine/builtin_plugins.cpp
)
