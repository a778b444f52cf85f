target_sources(sshm_lib PRIVATE
  params/crypto.cpp
  params/filters.cpp
  params/local_backend.cpp
  params/parameter.cpp
  params/resolver.cpp
  params/aws_backend.cpp
)
