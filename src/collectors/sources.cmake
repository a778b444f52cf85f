# The gatherer script is compiled in: it travels to each host on the SSH channel's stdin.
set(sshm_gather_script_src ${CMAKE_CURRENT_SOURCE_DIR}/collectors/gather_script.sh)
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${sshm_gather_script_src})
file(READ ${sshm_gather_script_src} SSHM_GATHER_SCRIPT)
configure_file(${CMAKE_CURRENT_SOURCE_DIR}/collectors/gather_script.cpp.in
               ${CMAKE_CURRENT_BINARY_DIR}/collectors/gather_script.cpp @ONLY)

target_sources(sshm_lib PRIVATE
  collectors/version.cpp
  collectors/item.cpp
  collectors/parse.cpp
  collectors/gather.cpp
  collectors/inventory_store.cpp
  collectors/query.cpp
  collectors/export.cpp
  ${CMAKE_CURRENT_BINARY_DIR}/collectors/gather_script.cpp
)
