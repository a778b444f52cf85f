target_sources(sshm_lib PRIVATE
  store/association_tables.cpp
  store/compliance_tables.cpp
  store/inventory_tables.cpp
  store/package_tables.cpp
  store/patch_tables.cpp
  store/report_queries.cpp
  store/schema.cpp
  store/session_tables.cpp
  store/sql.cpp
  store/ssm_json.cpp
  store/store.cpp
  store/window_tables.cpp
)
