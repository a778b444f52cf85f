target_sources(sshm_lib PRIVATE
  fleet/ansible.cpp
  fleet/inventory.cpp
  fleet/python_literal.cpp
  fleet/ranges.cpp
  fleet/targets.cpp
)
