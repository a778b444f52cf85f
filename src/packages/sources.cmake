target_sources(sshm_lib PRIVATE
  packages/manifest.cpp
  packages/repository.cpp
)
