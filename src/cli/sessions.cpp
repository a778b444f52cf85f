// sshm sessions list | show ID | replay ID: the history of `sshm session`, in the shape of
// SSM's DescribeSessions, and the transcripts replayed at their own pace.
#include "cli/common.hpp"
#include "cli/session.hpp"
#include "session/replay.hpp"
#include "session/transcript.hpp"
#include "store/session_tables.hpp"
#include "store/store.hpp"
#include "util/error.hpp"
#include "util/safe_path.hpp"
#include "util/terminal_safe.hpp"

#include <chrono>
#include <fmt/format.h>
#include <thread>
#include <unistd.h>

namespace sshm::cli {

namespace {

struct ListOptions {
  std::string status;
  int limit = 50;
};
struct ReplayOptions {
  std::string id;
  double speed = 1.0;
  double max_wait = 2.0;
  bool raw = false;
};

// A session as SSM's Session object, plus sshm's own fields.
nlohmann::json session_json(const store::SessionRecord& r) {
  nlohmann::json j = {{"SessionId", r.session_id}, {"Target", r.target},   {"Status", r.status},
                      {"StartDate", r.start_date}, {"DocumentName", r.document_name}, {"Owner", r.owner},
                      {"Reason", r.reason},        {"RunAs", r.run_as},   {"Transcript", r.transcript},
                      {"Details", r.details}};
  if (!r.end_date.empty()) j["EndDate"] = r.end_date;
  return j;
}

int run_list(const GlobalOptions& g, const ListOptions& o) {
  auto store = open_state_store(g);
  mark_orphaned_sessions(*store);
  if (!o.status.empty() && o.status != "Connected" && o.status != "Terminated" && o.status != "Failed")
    throw InputError(fmt::format("unknown session status '{}' (use Connected, Terminated or Failed)", o.status));
  auto sessions = store::list_sessions(*store, o.status, o.limit);
  if (structured_output(g)) {
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& s : sessions) arr.push_back(session_json(s));
    print_structured(g, {{"Sessions", arr}});
    return k_exit_ok;
  }
  std::string out = fmt::format("{:<40} {:<20} {:<10} {:<24} {}\n", "SessionId", "Target", "Status", "StartDate",
                                "Reason");
  for (const auto& s : sessions)
    out += fmt::format("{:<40} {:<20} {:<10} {:<24} {}\n", terminal_safe(s.session_id, false),
                       terminal_safe(s.target, false), s.status, s.start_date, terminal_safe(s.reason, false));
  SyncOut::instance().out(out);
  return k_exit_ok;
}

int run_show(const GlobalOptions& g, const std::string& id) {
  auto store = open_state_store(g);
  mark_orphaned_sessions(*store);
  store::SessionRecord r = store::get_session(*store, id);
  if (structured_output(g)) {
    print_structured(g, session_json(r));
    return k_exit_ok;
  }
  std::string out;
  const nlohmann::json fields = session_json(r);
  for (const auto& [k, v] : fields.items())
    out += fmt::format("{:<13} {}\n", k, terminal_safe(v.is_string() ? v.get<std::string>() : v.dump(), false));
  SyncOut::instance().out(out);
  return k_exit_ok;
}

// Writes all of `data` to stdout.
void put(std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(1, data.data(), data.size());
    if (n <= 0) return;
    data.remove_prefix(static_cast<size_t>(n));
  }
}

int run_replay(const GlobalOptions& g, const ReplayOptions& o) {
  auto store = open_state_store(g);
  store::SessionRecord r = store::get_session(*store, o.id);
  std::filesystem::path path = state_dir(g) / r.transcript;
  if (r.transcript.empty() || !is_within(state_dir(g), path))
    throw RuntimeError(fmt::format("session {} has no transcript", r.session_id));
  auto records = session::read_transcript(path);
  session::ReplayFilter filter;
  long long last = 0;
  for (const auto& rec : records) {
    if (rec.kind != 'o') continue;
    if (o.speed > 0) {
      double wait = std::min(o.max_wait, static_cast<double>(rec.ms - last) / 1000.0 / o.speed);
      if (wait > 0) std::this_thread::sleep_for(std::chrono::duration<double>(wait));
    }
    last = rec.ms;
    put(o.raw ? rec.data : filter.feed(rec.data));
  }
  return k_exit_ok;
}

} // namespace

void setup_sessions_history(CLI::App& app, GlobalOptions& global, Action& action) {
  auto* group = app.add_subcommand("sessions", "History of `sshm session`: list, show, replay");
  group->require_subcommand(1);
  auto lo = std::make_shared<ListOptions>();
  auto* list = group->add_subcommand("list", "Sessions, newest first (SSM DescribeSessions)");
  list->add_option("--status", lo->status, "Connected, Terminated or Failed");
  list->add_option("--limit", lo->limit, "At most this many (default 50, 0 for all)")->check(CLI::Range(0, 1000000));
  list->callback([&global, &action, lo] { action = [&global, lo] { return run_list(global, *lo); }; });
  auto id = std::make_shared<std::string>();
  auto* show = group->add_subcommand("show", "One session: target, owner, times, status, reason");
  show->add_option("id", *id, "SessionId (or a unique prefix)")->required();
  show->callback([&global, &action, id] { action = [&global, id] { return run_show(global, *id); }; });
  auto ro = std::make_shared<ReplayOptions>();
  auto* replay = group->add_subcommand("replay", "Replay a session's output at the pace it was recorded");
  replay->add_option("id", ro->id, "SessionId (or a unique prefix)")->required();
  replay->add_option("--speed", ro->speed, "Faster (2) or slower (0.5); 0 prints at once (default 1)")
      ->check(CLI::Range(0.0, 1000.0));
  replay->add_option("--max-wait", ro->max_wait, "Longest pause in seconds (default 2)")->check(CLI::Range(0.0, 3600.0));
  replay->add_flag("--raw", ro->raw, "Every output byte as recorded, terminal queries and titles included");
  replay->callback([&global, &action, ro] { action = [&global, ro] { return run_replay(global, *ro); }; });
}

} // namespace sshm::cli
