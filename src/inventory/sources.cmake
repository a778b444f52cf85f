target_sources(sshm_lib PRIVATE
  inventory/inventory.cpp
  inventory/targets.cpp
)
