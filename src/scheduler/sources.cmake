target_sources(sshm_lib PRIVATE
  scheduler/rate.cpp
  scheduler/dispatch.cpp
  scheduler/run.cpp
)
