target_sources(sshm_lib PRIVATE
  schedule/cron.cpp
  schedule/schedule.cpp
)
# ScheduleTimezone: IANA zones from the system's tzdata (Debian builds date-tz with USE_OS_TZDB).
target_link_libraries(sshm_lib PUBLIC date::date-tz)
