target_sources(sshm_lib PRIVATE
  schedule/association.cpp
  schedule/cron.cpp
  schedule/schedule.cpp
  schedule/window.cpp
  schedule/window_run.cpp
)
# ScheduleTimezone: IANA zones from the system's tzdata through date/tz.h (Debian's
# libhowardhinnant-date-dev, built with USE_OS_TZDB). Only schedule.cpp includes it, so its
# settings apply to that file alone and every other file keeps its flags.
set_source_files_properties(schedule/schedule.cpp PROPERTIES
  COMPILE_DEFINITIONS "USE_OS_TZDB=1;ONLY_C_LOCALE=1;HAS_STRING_VIEW=1")
target_link_libraries(sshm_lib PUBLIC $<TARGET_FILE:date::date-tz>)
