target_sources(sshm_lib PRIVATE
  aws/config.cpp
  aws/http.cpp
  aws/client.cpp
  aws/s3.cpp
  aws/logs.cpp
  aws/ssm.cpp
)
