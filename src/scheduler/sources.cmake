# Enabled once the store and the transport land.
if(SSHM_WITH_RUN)
target_sources(sshm_lib PRIVATE
  scheduler/rate.cpp
  scheduler/dispatch.cpp
  scheduler/run.cpp
)
endif()
