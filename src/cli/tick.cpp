// sshm tick: runs what is due now and returns (cron calls it every minute).
// sshm scheduler run: ticks at each minute boundary in the foreground (a systemd service).
// sshm scheduler install --cron | --systemd: the crontab line or the units that call it.
#include "cli/tick.hpp"

#include "cli/global_options.hpp"
#include "cli/output.hpp"
#include "cli/tick_lock.hpp"
#include "store/store.hpp"
#include "util/bounded_parse.hpp"
#include "util/error.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <fcntl.h>
#include <fstream>
#include <sys/file.h>
#include <syslog.h>
#include <thread>
#include <unistd.h>

namespace sshm::cli {

FileLock::FileLock(const std::filesystem::path& path, bool wait) {
  m_fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (m_fd < 0) throw RuntimeError(fmt::format("cannot open lock file '{}'", path.string()));
  for (;;) {
    if (::flock(m_fd, wait ? LOCK_EX : (LOCK_EX | LOCK_NB)) == 0) {
      m_held = true;
      return;
    }
    if (errno != EINTR) return;
  }
}

FileLock::~FileLock() {
  if (m_fd >= 0) ::close(m_fd);
}

namespace {

// A clock stopped at one instant: the tick's "now" when SSHM_TEST_NOW is set. TEST-ONLY:
// the e2e suites set SSHM_TEST_NOW=ISO-8601 to drive ticks through simulated time; it is
// not a user setting and changes nothing but the tick's idea of now.
class FixedClock final : public Clock {
public:
  explicit FixedClock(SystemTime t) : m_t(t) {}
  SystemTime now() const override { return m_t; }
  SteadyTime steady_now() const override { return std::chrono::steady_clock::now(); }
  void sleep_until(SystemTime) const override {}

private:
  SystemTime m_t;
};

// One line per action: to stderr (which cron mails), to --log FILE, and to syslog(3) with
// `log: syslog` in config.yaml. Each line starts with the tick's time.
class TickLogSinks final : public TickLog {
public:
  TickLogSinks(const std::string& file, bool syslog, const Clock& clock) : m_syslog(syslog), m_clock(clock) {
    if (!file.empty()) {
      m_file.open(file, std::ios::app);
      if (!m_file) throw InputError(fmt::format("--log: cannot write '{}'", file));
    }
    if (m_syslog) ::openlog("sshm", LOG_PID, LOG_CRON);
  }
  ~TickLogSinks() override {
    if (m_syslog) ::closelog();
  }
  void line(std::string_view text) override {
    std::string whole = fmt::format("{} sshm tick: {}\n", iso8601_s(m_clock.now()), text);
    SyncOut::instance().err(whole);
    if (m_file.is_open()) m_file << whole << std::flush;
    if (m_syslog) ::syslog(LOG_INFO, "%.*s", static_cast<int>(text.size()), text.data());
  }

private:
  std::ofstream m_file;
  bool m_syslog;
  const Clock& m_clock;
};

// `log: syslog` in $XDG_CONFIG_HOME/sshm/config.yaml.
bool config_says_syslog() {
  const std::string path = xdg_dir("XDG_CONFIG_HOME", ".config") + "/sshm/config.yaml";
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return false;
  try {
    YAML::Node config = bounded::load_yaml(bounded::read_file(path, "config file"), path);
    return config.IsMap() && config["log"] && config["log"].IsScalar() && config["log"].as<std::string>() == "syslog";
  } catch (const YAML::Exception&) {
    return false;  // the global options already reported a broken config file
  }
}

struct TickOptions {
  std::string log_file;
  // scheduler install
  bool cron = false;
  bool systemd = false;
  bool user = false;
  bool write = false;
  bool remove = false;
};

// One tick: every part in turn; a part that fails is logged and the others still run.
int tick_once(const GlobalOptions& g, const TickOptions& o, const Clock& clock) {
  auto store = open_state_store(g);
  TickLogSinks log(o.log_file, config_says_syslog(), clock);
  TickContext ctx{g, *store, clock, log};
  int status = k_exit_ok;
  for (const TickPart& part : tick_parts()) {
    try {
      part.run(ctx);
    } catch (const std::exception& e) {
      log.line(fmt::format("{}: failed: {}", part.name, e.what()));
      status = k_exit_failed;
    }
  }
  return status;
}

int run_tick(const GlobalOptions& g, const TickOptions& o) {
  if (const char* now = std::getenv("SSHM_TEST_NOW"); now && *now) {
    SystemTime t;
    try {
      t = parse_iso8601(now);
    } catch (const InputError& e) {
      throw InputError(std::string("SSHM_TEST_NOW: ") + e.what());
    }
    return tick_once(g, o, FixedClock(t));
  }
  return tick_once(g, o, SystemClock::instance());
}

std::atomic<bool> g_stop{false};
extern "C" void on_stop_signal(int) { g_stop = true; }

// Ticks now, then at every minute boundary, until SIGTERM or SIGINT.
int run_scheduler(const GlobalOptions& g, const TickOptions& o) {
  struct sigaction sa = {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGTERM, &sa, nullptr);
  ::sigaction(SIGINT, &sa, nullptr);
  SyncOut::instance().err("sshm scheduler: ticking every minute (SIGTERM or Ctrl-C stops)\n");
  while (!g_stop) {
    try {
      run_tick(g, o);
    } catch (const std::exception& e) {
      SyncOut::instance().err(fmt::format("sshm scheduler: tick failed: {}\n", e.what()));
    }
    const auto now = std::chrono::system_clock::now();
    const auto next = std::chrono::ceil<std::chrono::minutes>(now + std::chrono::milliseconds(1));
    while (!g_stop && std::chrono::system_clock::now() < next) std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  SyncOut::instance().err("sshm scheduler: stopped\n");
  return k_exit_ok;
}

} // namespace

int run_scheduler_install(const GlobalOptions& g, bool cron, bool systemd, bool user, bool write, bool remove);

void setup_tick(CLI::App& app, GlobalOptions& global, Action& action) {
  auto o = std::make_shared<TickOptions>();
  auto* tick = app.add_subcommand("tick", "Run what is due now (associations, maintenance windows); cron calls it every minute");
  tick->add_option("--log", o->log_file, "Also append the tick's log lines to FILE");
  tick->fallthrough();
  tick->callback([&global, &action, o] { action = [&global, o] { return run_tick(global, *o); }; });

  auto* sched = app.add_subcommand("scheduler", "Run ticks in the foreground, or install cron / systemd to run them");
  sched->require_subcommand(1);
  sched->fallthrough();
  auto* run = sched->add_subcommand("run", "Tick at every minute boundary until SIGTERM / Ctrl-C (for a systemd service)");
  run->add_option("--log", o->log_file, "Also append the tick's log lines to FILE");
  run->fallthrough();
  run->callback([&global, &action, o] { action = [&global, o] { return run_scheduler(global, *o); }; });
  auto* install = sched->add_subcommand("install", "Print (with --write install) the crontab line or systemd units");
  install->add_flag("--cron", o->cron, "A crontab line: * * * * * sshm tick ...");
  install->add_flag("--systemd", o->systemd, "A systemd service and timer");
  install->add_flag("--user", o->user, "systemd: user units (~/.config/systemd/user)");
  install->add_flag("--write", o->write, "Install it (crontab -, or the unit files)");
  install->add_flag("--remove", o->remove, "Take it out again");
  install->fallthrough();
  install->callback([&global, &action, o] {
    action = [&global, o] { return run_scheduler_install(global, o->cron, o->systemd, o->user, o->write, o->remove); };
  });
}

} // namespace sshm::cli
