target_sources(sshm_lib PRIVATE
  store/ssm_json.cpp
  store/store.cpp
)
