target_sources(sshm_lib PRIVATE
  session/builtin_documents.cpp
  session/document.cpp
  session/keys.cpp
  session/log_text.cpp
  session/plan.cpp
  session/port_forward.cpp
  session/replay.cpp
  session/session_id.cpp
  session/shell.cpp
  session/terminal.cpp
  session/transcript.cpp
  session/upload.cpp
)
