target_sources(sshm_lib PRIVATE
  engine/rate.cpp
  engine/status.cpp
  engine/recovery.cpp
  engine/dispatch.cpp
  engine/run.cpp
  engine/builtin_plugins.cpp
)
