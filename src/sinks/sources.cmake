target_sources(sshm_lib PRIVATE
  sinks/layout.cpp
  sinks/deliver.cpp
  sinks/spool.cpp
  sinks/s3_sink.cpp
  sinks/cloudwatch_sink.cpp
  sinks/notify_sink.cpp
  sinks/sinks.cpp
)
