#pragma once
// `sshm tick`: runs what is due now (State Manager associations, maintenance window starts,
// cutoffs and ends, parameter policies) and returns. cron calls it every minute; `sshm
// scheduler run` calls it in a loop. Each kind of scheduled thing is one part of the tick.
#include "cli/app.hpp"
#include "util/time.hpp"

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace sshm::store {
class Store;
}

namespace sshm::cli {

// What a tick did, one line per action ("association nightly-patch: started on 3 hosts,
// command 1f2e...", "window mw-...: skipped, SKIPPED_OVERLAPPING"), to stderr (which cron
// mails) and to the --log file or the system log.
class TickLog {
public:
  virtual ~TickLog() = default;
  virtual void line(std::string_view text) = 0;
};

struct TickContext {
  const GlobalOptions& global;
  store::Store& store;
  const Clock& clock;  // the tick's "now" (the test-only SSHM_TEST_NOW sets it in e2e suites)
  TickLog& log;
};

// One kind of scheduled thing: runs what of it is due at ctx.clock.now(). Returns how many
// actions it took (0 when nothing was due). Throws only for what ends the whole tick.
struct TickPart {
  const char* name;
  std::function<int(const TickContext&)> run;
};

// Every part, in the order a tick runs them (tick_parts.cpp lists them).
std::vector<TickPart> tick_parts();

} // namespace sshm::cli
