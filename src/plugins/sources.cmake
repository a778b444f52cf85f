target_sources(sshm_lib PRIVATE
  plugins/output_capture.cpp
  plugins/executor.cpp
  plugins/configure_package.cpp
  plugins/content.cpp
  plugins/download.cpp
  plugins/run_document.cpp
)
