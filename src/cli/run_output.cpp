#include "cli/run_output.hpp"

#include "cli/common.hpp"
#include "fleet/ranges.hpp"
#include "store/store.hpp"
#include "util/strings.hpp"
#include "util/terminal_safe.hpp"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <fmt/format.h>
#include <fstream>
#include <map>
#include <mutex>
#include <openssl/evp.h>
#include <thread>

namespace sshm::cli {

namespace {

constexpr size_t k_max_partial_line = 64 * 1024;

// Splits streamed bytes into whole lines per (host, stream), so lines of different hosts
// never interleave mid-line. Memory per stream is bounded by k_max_partial_line.
class LineSplitter {
public:
  using Emit = std::function<void(const std::string& host, const std::string& step, bool is_stderr, std::string_view line)>;
  explicit LineSplitter(Emit emit) : m_emit(std::move(emit)) {}

  void feed(const std::string& host, const std::string& step, bool is_stderr, std::string_view data) {
    std::string& buf = m_partial[{host, is_stderr}];
    while (!data.empty()) {
      size_t nl = data.find('\n');
      if (nl == std::string_view::npos) {
        buf.append(data);
        if (buf.size() >= k_max_partial_line) {
          m_emit(host, step, is_stderr, buf);
          buf.clear();
        }
        return;
      }
      if (buf.empty()) {
        m_emit(host, step, is_stderr, data.substr(0, nl));
      } else {
        buf.append(data.substr(0, nl));
        m_emit(host, step, is_stderr, buf);
        buf.clear();
      }
      data.remove_prefix(nl + 1);
    }
  }

  void flush_host(const std::string& host) {
    for (bool err : {false, true}) {
      auto it = m_partial.find({host, err});
      if (it == m_partial.end()) continue;
      if (!it->second.empty()) m_emit(host, "", err, it->second);
      m_partial.erase(it);
    }
  }

private:
  Emit m_emit;
  std::map<std::pair<std::string, bool>, std::string> m_partial;
};

std::string describe(const store::InvocationRecord& inv) {
  if (!inv.failure_kind.empty() && (inv.status == "Undeliverable" || inv.status == "DeliveryTimedOut"))
    return fmt::format("{} ({}: {})", inv.status, inv.failure_kind, inv.failure_message);
  if (inv.status == "Failed" && !inv.failure_kind.empty())
    return fmt::format("Failed ({}: {})", inv.failure_kind, inv.failure_message);
  if (inv.status == "Failed" && inv.status_details == "RebootRequested") return "Failed (exit 194: reboot requested)";
  if (inv.status == "Failed" && inv.response_code >= 0) return fmt::format("Failed (exit {})", inv.response_code);
  if (inv.status == "TimedOut") return "TimedOut (execution timeout: process group killed)";
  return inv.status;
}

// The failed sinks, one line each, as every output mode prints them on stderr.
std::string sink_failures_text(const std::vector<sinks::SinkReport>& reports) {
  std::string out;
  for (const auto& s : reports)
    if (s.failed) out += fmt::format("sshm: output sink {} failed: {} ({} items spooled; run `sshm outputs flush`)\n",
                                     s.sink, s.message, s.spooled);
  return terminal_safe(out);
}

std::string summary_text(const engine::RunResult& r, bool colour) {
  std::map<std::string, int> counts;
  for (const auto& inv : r.invocations) counts[inv.status]++;
  std::string parts;
  for (const auto& [status, n] : counts)
    parts += fmt::format("{}{} {}", parts.empty() ? "" : ", ", n, paint(colour, status_colour(status), status));
  const auto& c = r.command;
  std::string out = fmt::format("sshm: command {} ({}): {} [{}]: {} targets: {}\n", c.command_id,
                                terminal_safe(c.document_name, false), paint(colour, status_colour(c.status), c.status),
                                c.status_details, c.target_count, parts);
  if (!c.stop_reason.empty()) out += fmt::format("sshm: dispatch stopped: {}\n", terminal_safe(c.stop_reason, false));
  std::vector<std::string> bad;
  int terminated = 0;
  for (const auto& inv : r.invocations) {
    if (inv.status == "Terminated") ++terminated;
    else if (inv.status != "Success") bad.push_back(terminal_safe(inv.instance_id, false));
  }
  if (!bad.empty() && bad.size() <= 20)
    out += fmt::format("sshm: not successful: {}\n", paint(colour, Colour::red, fleet::fold_nodeset(bad)));
  else if (!bad.empty()) out += fmt::format("sshm: {} hosts not successful; see: sshm commands show {}\n", bad.size(), c.command_id);
  if (terminated > 0)
    out += fmt::format("sshm: {} hosts never dispatched (Terminated); rerun them with -t @terminated:{}\n", terminated,
                       c.command_id.substr(0, 8));
  return out + sink_failures_text(r.sink_reports);  // every part is terminal-safe already
}

// Reads a file in pieces of 64 KiB, so no output is ever held whole in memory.
template <typename Piece>
void for_each_piece(const std::string& path, Piece&& piece) {
  if (path.empty()) return;
  std::ifstream in(path, std::ios::binary);
  std::string buffer(64 * 1024, '\0');
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    std::streamsize n = in.gcount();
    if (n > 0) piece(std::string_view(buffer.data(), static_cast<size_t>(n)));
  }
}

// What --gather prints for one host: each step's stdout then stderr, as the files under
// the state dir keep them; a host that ran no step shows why.
class GatherBody {
public:
  explicit GatherBody(const store::InvocationRecord& inv) : m_inv(inv) {}

  template <typename Piece>
  void for_each(Piece&& piece) const {
    if (!m_inv.failure_message.empty() && m_inv.plugins.empty()) {
      std::string text = "sshm: " + describe(m_inv) + "\n";
      piece(std::string_view(text));
      return;
    }
    for (const auto& p : m_inv.plugins) {
      for_each_piece(p.stdout_path, piece);
      for_each_piece(p.stderr_path, piece);
    }
  }

  // SHA-256 of the body, read from disk piece by piece: equal bodies, equal digests.
  std::string digest() const {
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1)
      throw RuntimeError("cannot compute SHA-256 (OpenSSL)");
    for_each([&](std::string_view piece) { EVP_DigestUpdate(ctx.get(), piece.data(), piece.size()); });
    EVP_DigestFinal_ex(ctx.get(), md, &len);
    return std::string(reinterpret_cast<const char*>(md), len);
  }

private:
  const store::InvocationRecord& m_inv;
};

class TextObserver : public CliRunObserver {
public:
  TextObserver(const GlobalOptions& g, RunDisplay display, size_t total)
      : m_gather(display.gather), m_raw(display.raw), m_quiet(g.verbosity < 0), m_total(total),
        m_progress(!g.no_progress && isatty_stderr() && g.output == "text"), m_colour(use_color(g, true)),
        m_lines([this](const std::string& host, const std::string&, bool err, std::string_view line) {
          // One host's line stays one line: its name and its bytes cannot move the cursor.
          std::string text = terminal_safe(host, false) + ": " +
                             (m_raw ? std::string(line) : terminal_safe(line, false)) + "\n";
          write_locked(err, text);
        }) {}

  ~TextObserver() override { stop_ticker(); }

  void on_start(const store::CommandRecord& c, const engine::DispatchPlan& plan) override {
    m_start = std::chrono::steady_clock::now();
    if (!m_quiet && m_progress)
      write_locked(true, fmt::format("sshm: command {} ({}) on {} hosts, {} at once, max errors {}\n", c.command_id,
                                     terminal_safe(c.document_name, false), plan.targets, plan.concurrency, plan.error_threshold));
    // The line is redrawn every second, not only when a host finishes: a long `sleep` on every
    // host still shows the time going and which hosts are still running.
    if (m_progress) m_ticker = std::thread([this] { tick(); });
  }

  void on_output(const std::string& host, const std::string& step, bool is_stderr, std::string_view data) override {
    if (m_gather) return;
    std::lock_guard<std::mutex> lock(m_split_mutex);
    m_lines.feed(host, step, is_stderr, data);
  }

  void on_invocation_start(const std::string& host) override {
    std::lock_guard<std::mutex> lock(m_mutex);
    ++m_in_flight;
    m_running[host] = std::chrono::steady_clock::now();
  }

  void on_invocation_done(const store::InvocationRecord& inv) override {
    {
      std::lock_guard<std::mutex> lock(m_split_mutex);
      m_lines.flush_host(inv.instance_id);
    }
    {
      std::lock_guard<std::mutex> lock(m_mutex);
      if (inv.status != "Terminated" && inv.status != "Cancelled" && m_in_flight > 0) --m_in_flight;
      m_running.erase(inv.instance_id);
      ++m_done;
      if (inv.status == "Success") ++m_ok;
      else ++m_bad;
    }
    if (inv.status != "Success" && inv.status != "Terminated" && !m_quiet)
      write_locked(true, fmt::format("sshm: {}: {}\n", paint(m_colour, Colour::red, terminal_safe(inv.instance_id, false)),
                                     terminal_safe(describe(inv), false)));
    else
      redraw();
  }

  void finish(const engine::RunResult& r) override {
    stop_ticker();
    clear_progress();
    if (m_gather) print_gathered(r);
    if (!m_quiet) SyncOut::instance().err(summary_text(r, m_colour));
    else SyncOut::instance().err(sink_failures_text(r.sink_reports));
  }

private:
  // Groups hosts by identical stdout+stderr and exit code, like dshbak -c. Bodies are compared
  // by their SHA-256 and printed from the files on disk, so memory does not grow with output
  // size. The header folds the hosts as clush does: host[002,004-006] (4) exit 0.
  void print_gathered(const engine::RunResult& r) {
    std::map<std::string, std::vector<const store::InvocationRecord*>> groups;
    std::vector<std::string> order;
    for (const auto& inv : r.invocations) {
      if (inv.status == "Terminated") continue;
      std::string key = GatherBody(inv).digest() + '\0' + ending(inv);
      if (!groups.count(key)) order.push_back(key);
      groups[key].push_back(&inv);
    }
    for (const auto& key : order) {
      const auto& hosts = groups[key];
      std::vector<std::string> names;
      for (const auto* inv : hosts) names.push_back(inv->instance_id);
      std::string header = fmt::format("{} ({}) {}", terminal_safe(fleet::fold_nodeset(names), false), hosts.size(),
                                       ending(*hosts.front()));
      std::string rule(std::min<size_t>(std::max<size_t>(header.size(), 16), 78), '-');
      SyncOut::instance().out(fmt::format("{}\n{}\n{}\n", rule, header, rule));
      print_body(*hosts.front());
    }
  }

  // How a host's run ended, for a --gather header: its exit code, else its status.
  static std::string ending(const store::InvocationRecord& inv) {
    return inv.response_code >= 0 ? fmt::format("exit {}", inv.response_code) : inv.status;
  }

  // One group's body, piece by piece, ending with a newline.
  void print_body(const store::InvocationRecord& inv) {
    TerminalSafeStream safe;
    char last = '\n';
    GatherBody(inv).for_each([&](std::string_view piece) {
      if (piece.empty()) return;
      std::string text = m_raw ? std::string(piece) : safe.feed(piece);
      if (!text.empty()) last = text.back();
      SyncOut::instance().out(text);
    });
    std::string tail = m_raw ? "" : safe.finish();
    if (!tail.empty()) last = tail.back();
    if (last != '\n') tail += "\n";
    SyncOut::instance().out(tail);
  }

  // [3/5] ok 2 failed 1 | 4s | 0.7/s | ETA 3s | running: web-004 4s, web-005 4s
  std::string progress_line() {
    auto now = std::chrono::steady_clock::now();
    double secs = std::chrono::duration<double>(now - m_start).count();
    double rate = secs > 0 ? static_cast<double>(m_done) / secs : 0;
    std::string eta = rate > 0 ? fmt::format("{:.0f}s", static_cast<double>(m_total - m_done) / rate) : "-";
    std::string line = fmt::format("[{}/{}] ok {} failed {} | {:.0f}s | {:.1f}/s | ETA {}", m_done, m_total, m_ok, m_bad,
                                   secs, rate, eta);
    // The slowest hosts still running: those that started first.
    std::vector<std::pair<std::chrono::steady_clock::time_point, std::string>> running;
    for (const auto& [host, started] : m_running) running.emplace_back(started, host);
    size_t shown = std::min<size_t>(running.size(), 3);
    std::partial_sort(running.begin(), running.begin() + static_cast<std::ptrdiff_t>(shown), running.end());
    for (size_t i = 0; i < shown; ++i)
      line += fmt::format("{}{} {:.0f}s", i == 0 ? " | running: " : ", ", terminal_safe(running[i].second, false),
                          std::chrono::duration<double>(now - running[i].first).count());
    if (running.size() > shown) line += fmt::format(" +{}", running.size() - shown);
    return line;
  }

  void tick() {
    std::unique_lock<std::mutex> lock(m_ticker_mutex);
    while (!m_stop_ticker) {
      m_ticker_wake.wait_for(lock, std::chrono::seconds(1));
      if (!m_stop_ticker) redraw();
    }
  }

  void stop_ticker() {
    {
      std::lock_guard<std::mutex> lock(m_ticker_mutex);
      m_stop_ticker = true;
    }
    m_ticker_wake.notify_all();
    if (m_ticker.joinable()) m_ticker.join();
  }

  void clear_progress() {
    if (!m_progress) return;
    std::lock_guard<std::mutex> lock(m_mutex);
    SyncOut::instance().err("\r\033[K");
  }

  void redraw() {
    if (!m_progress) return;
    std::lock_guard<std::mutex> lock(m_mutex);
    SyncOut::instance().err("\r\033[K" + progress_line());
  }

  void write_locked(bool err, const std::string& text) {
    std::lock_guard<std::mutex> lock(m_mutex);
    if (m_progress) SyncOut::instance().err("\r\033[K");
    if (err) SyncOut::instance().err(text);
    else SyncOut::instance().out(text);
    if (m_progress) SyncOut::instance().err(progress_line());
  }

  bool m_gather, m_raw, m_quiet;
  size_t m_total;
  bool m_progress;
  bool m_colour;
  std::mutex m_mutex;
  std::map<std::string, std::chrono::steady_clock::time_point> m_running;  // host -> when it started
  std::thread m_ticker;
  std::mutex m_ticker_mutex;
  std::condition_variable m_ticker_wake;
  bool m_stop_ticker = false;
  std::mutex m_split_mutex;
  LineSplitter m_lines;
  size_t m_done = 0, m_ok = 0, m_bad = 0, m_in_flight = 0;
  std::chrono::steady_clock::time_point m_start = std::chrono::steady_clock::now();
};

class JsonObserver : public CliRunObserver {
public:
  explicit JsonObserver(const GlobalOptions& g) : m_global(g) {}
  void finish(const engine::RunResult& r) override {
    nlohmann::json j = store::command_report_json(r.command, r.invocations);
    nlohmann::json errors = sink_errors_json(r.sink_reports);
    if (!errors.empty()) j["SinkErrors"] = std::move(errors);
    print_structured(m_global, j);
    SyncOut::instance().err(sink_failures_text(r.sink_reports));
  }

private:
  const GlobalOptions& m_global;
};

// One JSON object per line: output lines, finished invocations, the final command.
class JsonlObserver : public CliRunObserver {
public:
  JsonlObserver()
      : m_lines([](const std::string& host, const std::string& step, bool err, std::string_view line) {
          nlohmann::json e = {{"Event", "output"}, {"Host", host}, {"Step", step},
                              {"Stream", err ? "stderr" : "stdout"}, {"Line", std::string(line)}};
          SyncOut::instance().out(e.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
        }) {}

  void on_start(const store::CommandRecord& c, const engine::DispatchPlan& plan) override {
    m_command = c;
    nlohmann::json e = {{"Event", "start"}, {"CommandId", c.command_id}, {"DocumentName", c.document_name},
                        {"TargetCount", plan.targets}, {"Concurrency", plan.concurrency},
                        {"ErrorThreshold", plan.error_threshold}};
    SyncOut::instance().out(e.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
  }
  void on_output(const std::string& host, const std::string& step, bool is_stderr, std::string_view data) override {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_lines.feed(host, step, is_stderr, data);
  }
  void on_invocation_done(const store::InvocationRecord& inv) override {
    {
      std::lock_guard<std::mutex> lock(m_mutex);
      m_lines.flush_host(inv.instance_id);
    }
    nlohmann::json e = store::invocation_to_json(inv, &m_command);
    e["Event"] = "invocation";
    SyncOut::instance().out(e.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
  }
  void finish(const engine::RunResult& r) override {
    nlohmann::json e = store::command_to_json(r.command);
    e["Event"] = "command";
    nlohmann::json errors = sink_errors_json(r.sink_reports);
    if (!errors.empty()) e["SinkErrors"] = std::move(errors);
    SyncOut::instance().out(e.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
    SyncOut::instance().err(sink_failures_text(r.sink_reports));
  }

private:
  std::mutex m_mutex;
  LineSplitter m_lines;
  store::CommandRecord m_command;
};

} // namespace

std::unique_ptr<CliRunObserver> make_run_observer(const GlobalOptions& g, RunDisplay display, size_t targets) {
  if (g.output == "json" || g.output == "yaml") return std::make_unique<JsonObserver>(g);  // one document
  if (g.output == "jsonl") return std::make_unique<JsonlObserver>();
  return std::make_unique<TextObserver>(g, display, targets);
}

NoResult no_result_reason(const store::InvocationRecord& inv) {
  if (!inv.failure_kind.empty()) return {inv.failure_kind, inv.failure_message};
  if (inv.status == "Cancelled" || inv.status == "Terminated") return {"cancelled", "not started: interrupted"};
  return {"", !inv.failure_message.empty() ? inv.failure_message : trim(inv.standard_error_content)};
}

nlohmann::json sink_errors_json(const std::vector<sinks::SinkReport>& reports) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& s : reports)
    if (s.failed) out.push_back({{"Sink", s.sink}, {"Message", s.message}, {"Spooled", s.spooled}});
  return out;
}

} // namespace sshm::cli
