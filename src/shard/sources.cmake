target_sources(sshm_lib PRIVATE
  shard/shard.cpp
  shard/record.cpp
  shard/publisher.cpp
)
