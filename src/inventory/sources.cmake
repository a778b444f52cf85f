# The gatherer script is compiled in: it travels to each host on the SSH channel's stdin.
set(sshm_gather_script_src ${CMAKE_CURRENT_SOURCE_DIR}/inventory/gather_script.sh)
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${sshm_gather_script_src})
file(READ ${sshm_gather_script_src} SSHM_GATHER_SCRIPT)
configure_file(${CMAKE_CURRENT_SOURCE_DIR}/inventory/gather_script.cpp.in
               ${CMAKE_CURRENT_BINARY_DIR}/inventory/gather_script.cpp @ONLY)

target_sources(sshm_lib PRIVATE
  inventory/item.cpp
  inventory/parse.cpp
  inventory/gather.cpp
  inventory/inventory_store.cpp
  inventory/query.cpp
  inventory/export.cpp
  ${CMAKE_CURRENT_BINARY_DIR}/inventory/gather_script.cpp
)
