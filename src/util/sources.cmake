# src/util owns the small pieces every other folder may use and that depend on nothing of
# sshm's: errors with file:line:col (error), expected<T, E> (expected), string helpers
# (strings), did-you-mean (spell), time formats (time), IDs (ids), package version
# ordering by dpkg, rpm and apk rules (version), pointing at a YAML input's mistakes
# (yaml_reader), secret values masked in streams (secret_mask). Nothing here includes
# another folder.
target_sources(sshm_lib PRIVATE
  util/error.cpp
  util/spell.cpp
  util/strings.cpp
  util/time.cpp
  util/ids.cpp
  util/version.cpp
  util/terminal_safe.cpp
  util/bounded_parse.cpp
  util/safe_path.cpp
  util/secret_mask.cpp
  util/yaml_reader.cpp
)
