target_sources(sshm_lib PRIVATE
  util/error.cpp
  util/spell.cpp
  util/strings.cpp
  util/time.cpp
  util/ids.cpp
  util/bounded_parse.cpp
  util/safe_path.cpp
)
