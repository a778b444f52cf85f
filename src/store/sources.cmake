target_sources(sshm_lib PRIVATE
  store/inventory_tables.cpp
  store/patch_tables.cpp
  store/schema.cpp
  store/sql.cpp
  store/ssm_json.cpp
  store/store.cpp
  store/window_tables.cpp
)
