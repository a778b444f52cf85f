target_sources(sshm_lib PRIVATE
  patch/baseline.cpp
  patch/compliance.cpp
  patch/config.cpp
  patch/engine.cpp
  patch/operations.cpp
  patch/parsers.cpp
  patch/scan.cpp
)
