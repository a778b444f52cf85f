target_sources(sshm_lib PRIVATE
  report/collect.cpp
  report/collect_patch.cpp
  report/collect_runs.cpp
  report/html.cpp
  report/html_runs.cpp
  report/html_sections.cpp
  report/markdown.cpp
  report/svg.cpp
)
