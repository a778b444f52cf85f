target_sources(sshm_lib PRIVATE
  plugins/output_capture.cpp
  plugins/executor.cpp
)
