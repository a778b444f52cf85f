target_sources(sshm_lib PRIVATE
  inventory/ansible.cpp
  inventory/inventory.cpp
  inventory/ranges.cpp
  inventory/targets.cpp
)
