// `sshm tick`: runs every part of the tick once (tick.hpp), at the clock's now.
#include "cli/tick.hpp"

#include "cli/global_options.hpp"
#include "cli/output.hpp"
#include "store/store.hpp"
#include "util/error.hpp"

#include <cstdlib>
#include <fmt/format.h>
#include <thread>

namespace sshm::cli {

namespace {

// The clock fixed at SSHM_TEST_NOW (test-only): now() never moves; a sleep waits a little.
class FixedClock final : public Clock {
public:
  explicit FixedClock(SystemTime t) : m_now(t) {}
  SystemTime now() const override { return m_now; }
  SteadyTime steady_now() const override { return std::chrono::steady_clock::now(); }
  void sleep_until(SystemTime t) const override {
    if (t > m_now) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }

private:
  SystemTime m_now;
};

class StderrTickLog final : public TickLog {
public:
  void line(std::string_view text) override { SyncOut::instance().err(fmt::format("sshm tick: {}\n", text)); }
};

int run_tick(const GlobalOptions& g) {
  std::unique_ptr<Clock> fixed;
  if (const char* t = std::getenv("SSHM_TEST_NOW"); t && *t) fixed = std::make_unique<FixedClock>(parse_iso8601(t));
  const Clock& clock = fixed ? static_cast<const Clock&>(*fixed) : SystemClock::instance();
  auto store = open_state_store(g);
  StderrTickLog log;
  TickContext ctx{g, *store, clock, log};
  for (const TickPart& part : tick_parts()) part.run(ctx);
  return k_exit_ok;
}

} // namespace

void setup_tick(CLI::App& app, GlobalOptions& global, Action& action) {
  auto* tick = app.add_subcommand("tick", "Run what is due now: maintenance windows (cron calls it every minute)");
  tick->callback([&global, &action] { action = [&global] { return run_tick(global); }; });
}

} // namespace sshm::cli
