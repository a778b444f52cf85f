// sshm session HOST: Session Manager over SSH. One host, a shell (or a session document's
// command, or a port forward) under the same inventory, targets, run-as, host-key policy and
// ProxyJump as `sshm run`, with a transcript of every byte kept in the state dir.
#include "cli/common.hpp"
#include "cli/session.hpp"
#include "cli/sink_options.hpp"
#include "engine/recovery.hpp"
#include "session/document.hpp"
#include "session/port_forward.hpp"
#include "session/session_id.hpp"
#include "session/shell.hpp"
#include "session/terminal.hpp"
#include "session/upload.hpp"
#include "ssh/interactive.hpp"
#include "store/session_tables.hpp"
#include "util/error.hpp"
#include "util/safe_path.hpp"
#include "util/strings.hpp"
#include "util/terminal_safe.hpp"
#include "util/time.hpp"

#include <cstdio>
#include <fmt/format.h>
#include <iostream>
#include <unistd.h>

namespace sshm::cli {

namespace {

struct SessionOptions {
  std::string target;
  std::string document;
  std::vector<std::string> parameters;
  std::string run_as;
  std::string preferences;
  std::string idle_timeout;
  std::string max_duration;
  aws::AwsOptions aws;  // where the session log goes: --profile, --region, --endpoint-url
};

void say(const std::string& line) {
  std::fputs((line + "\n").c_str(), stderr);
  std::fflush(stderr);
}

// One host from the selection: the only one, or on a terminal the one the user picks.
const fleet::Host* choose_host(const std::vector<const fleet::Host*>& hosts, const std::string& target) {
  if (hosts.size() == 1) return hosts.front();
  std::vector<std::string> names;
  for (const auto* h : hosts) names.push_back(h->name);
  if (!::isatty(0) || !::isatty(2))
    throw InputError(fmt::format("'{}' selects {} hosts ({}); a session opens on one: name it", printable_name(target),
                                 hosts.size(), terminal_safe(join(names, ", "), false)));
  for (size_t i = 0; i < hosts.size(); ++i) say(fmt::format("{:>4}) {}", i + 1, terminal_safe(names[i], false)));
  for (;;) {
    std::fputs(fmt::format("Open a session on which host? [1-{}] ", hosts.size()).c_str(), stderr);
    std::string line;
    if (!std::getline(std::cin, line)) throw InputError("no host chosen");
    line = trim(line);
    char* end = nullptr;
    long n = std::strtol(line.c_str(), &end, 10);
    if (end && *end == '\0' && n >= 1 && static_cast<size_t>(n) <= hosts.size()) return hosts[n - 1];
    for (const auto* h : hosts)
      if (h->name == line) return h;
  }
}

// The effective plan: the document, its parameters, preferences and flags put together.
session::SessionPlan plan_for(const GlobalOptions& g, const SessionOptions& o, const fleet::Host& host) {
  session::PlanRequest req;
  req.document = o.document;
  req.parameters = o.parameters;
  req.preferences = o.preferences;
  req.run_as = o.run_as;
  req.host_run_as = host.connection.run_as.value_or("");
  req.idle_timeout = o.idle_timeout;
  req.max_duration = o.max_duration;
  req.state_dir = state_dir(g);
  return session::make_plan(req);
}

// The exit status of a finished session, as ssh gives it: the remote shell's, else 0 for a
// session the user or a limit ended, 130 for a signal, 1 for a lost connection.
int exit_status_of(const std::string& status, const std::string& reason, std::optional<int> remote) {
  if (remote) return *remote;
  if (status == "Failed") return k_exit_failed;
  if (starts_with(reason, "sshm got signal")) return k_exit_interrupted;
  return k_exit_ok;
}

// Runs the plan on a connected session; fills in how it ended.
int drive(ssh::Session& ssh_session, const session::SessionPlan& plan, store::SessionRecord& rec,
          session::TranscriptWriter& transcript, session::SessionLogger& logger) {
  if (plan.type == session::SessionType::port && plan.forward.stdio) {
    auto end = session::run_stdio_forward(ssh_session, plan.forward, transcript);
    rec.status = end.status;
    rec.reason = end.reason;
    return exit_status_of(end.status, end.reason, std::nullopt);
  }
  if (plan.type == session::SessionType::port) {
    auto end = session::run_port_forward(ssh_session, plan.forward, transcript, [&](int port) {
      say(fmt::format("Port {} opened for sessionId {}.", port, rec.session_id));
      say("Waiting for connections...");
    });
    rec.status = end.status;
    rec.reason = end.reason;
    rec.details["Connections"] = end.connections;
    rec.details["FailedConnections"] = end.failed;
    return exit_status_of(end.status, end.reason, std::nullopt);
  }
  ssh::ShellRequest req;
  req.pty = plan.type != session::SessionType::non_interactive;
  req.command = plan.command;
  session::WindowSize size = session::window_size(0);
  req.cols = size.cols;
  req.rows = size.rows;
  if (const char* term = std::getenv("TERM"); term && *term) req.term = term;
  auto channel = ssh::open_shell(ssh_session, req);
  if (!channel) {
    rec.status = "Failed";
    rec.reason = channel.error().message;
    return k_exit_failed;
  }
  session::ShellIo io;
  io.pty = req.pty;
  if (!plan.shell_profile.empty()) io.first_keys = plan.shell_profile + "\n";
  auto end = session::run_shell(**channel, io, plan.limits, transcript,
                                [&logger](std::string_view piece) { logger.output(piece); });
  rec.status = end.status;
  rec.reason = end.reason;
  if (end.exit_status) rec.details["ExitStatus"] = *end.exit_status;
  if (!end.exit_signal.empty()) rec.details["ExitSignal"] = end.exit_signal;
  return exit_status_of(end.status, end.reason, end.exit_status);
}

// Where the session's log goes. SSM logs neither port forwarding nor SSH sessions (their
// bytes are another program's protocol), so those upload nothing. Throws RuntimeError when
// s3EncryptionEnabled names a bucket without default encryption, as SSM refuses such a session.
std::unique_ptr<session::SessionLogger> make_logger(const GlobalOptions& g, const SessionOptions& o,
                                                    const session::SessionPlan& plan, store::SessionRecord& rec,
                                                    const std::string& login_user) {
  session::Preferences prefs = plan.preferences;
  if (plan.type == session::SessionType::port && (!prefs.s3_bucket.empty() || !prefs.log_group.empty())) {
    rec.details["Uploads"] = "none: Session Manager does not log port forwarding or SSH sessions";
    prefs.s3_bucket.clear();
    prefs.log_group.clear();
  }
  session::StreamIdentity who{"", rec.target, rec.owner, plan.run_as.empty() ? login_user : plan.run_as,
                              rec.session_id};
  auto logger = std::make_unique<session::SessionLogger>(prefs, who, o.aws, state_dir(g));
  logger->check_before_start();
  return logger;
}

int run_session(const GlobalOptions& g, const SessionOptions& o) {
  // Load the fleet and pick the one host.
  auto inv = load_inventory(g);
  TargetOptions targets{{o.target}, {}};
  const fleet::Host* host = choose_host(select(g, inv, targets), o.target);
  session::SessionPlan plan = plan_for(g, o, *host);
  auto config = load_ssh_config(g);
  auto options = resolve_options(g);
  auto endpoints = endpoints_for({host}, config, options);
  prepare_key_passphrase(endpoints);

  // Record the session as Connected before anything runs, owned by this process.
  auto store = open_state_store(g);
  mark_orphaned_sessions(*store);
  store::SessionRecord rec;
  rec.owner = session::local_user();
  rec.session_id = session::new_session_id(rec.owner);
  rec.target = host->name;
  rec.document_name = plan.document_name;
  rec.status = "Connected";
  rec.start_date = iso8601_ms(SystemClock::instance().now());
  rec.run_as = plan.run_as;
  rec.transcript = "sessions/" + rec.session_id + ".transcript";
  rec.controller = engine::owner_of_this_process();
  rec.details["Parameters"] = plan.parameters;
  auto logger = make_logger(g, o, plan, rec, endpoints.front().user);
  store::save_session(*store, rec);
  session::TranscriptWriter transcript(state_dir(g) / rec.transcript);

  // Connect as `sshm run` does, then run the session.
  ssh::LibsshTransport transport(config, options);
  auto connected = transport.connect(endpoints.front());
  int rc = k_exit_unreachable;
  if (!connected) {
    rec.status = "Failed";
    rec.reason = connected.error().message;
    say(fmt::format("sshm: error: {}: {}", terminal_safe(host->name, false), terminal_safe(connected.error().message, false)));
  } else {
    say(fmt::format("Starting session with SessionId: {}", rec.session_id));
    logger->start();
    rc = drive(**connected, plan, rec, transcript, *logger);
    say(fmt::format("\r\nExiting session with sessionId: {} ({}).\r", rec.session_id, terminal_safe(rec.reason, false)));
  }
  transcript.note(fmt::format("{}: {}", rec.status, rec.reason));
  rec.end_date = iso8601_ms(SystemClock::instance().now());
  store::save_session(*store, rec);
  transcript.flush();
  logger->finish(state_dir(g) / rec.transcript, rec);
  store::save_session(*store, rec);
  return rc;
}

} // namespace

void mark_orphaned_sessions(store::Store& store) {
  for (auto& s : store::list_sessions(store, "Connected")) {
    if (engine::owner_state(s.controller) != engine::OwnerState::gone) continue;
    s.status = "Terminated";
    s.reason = "the sshm that ran this session ended without closing it (killed?)";
    s.end_date = iso8601_ms(SystemClock::instance().now());
    store::save_session(store, s);
  }
}

void setup_session(CLI::App& app, GlobalOptions& global, Action& action) {
  auto o = std::make_shared<SessionOptions>();
  auto* cmd = app.add_subcommand("session", "Open a Session Manager session on one host (a shell, a session "
                                            "document, or a port forward), with a transcript");
  cmd->add_option("host", o->target, "The host (a target expression selecting one host)")->required();
  cmd->add_option("--document", o->document,
                  "Session document: SSM-SessionManagerRunShell (default), AWS-StartInteractiveCommand, "
                  "AWS-StartNonInteractiveCommand, AWS-StartPortForwardingSession, "
                  "AWS-StartPortForwardingSessionToRemoteHost, AWS-StartSSHSession, or a file");
  cmd->add_option("-p,--parameters", o->parameters, "Document parameter NAME=VALUE (repeatable)");
  cmd->add_option("--run-as", o->run_as, "The session's user on the host (sudo -n -u USER -i)");
  cmd->add_option("--preferences", o->preferences,
                  "Session preferences: a file or document name in SSM-SessionManagerRunShell's schema");
  cmd->add_option("--idle-timeout", o->idle_timeout,
                  "idleSessionTimeout: minutes (1-60), or with a unit: 30s, 5m (default 20)");
  cmd->add_option("--max-duration", o->max_duration, "maxSessionDuration: minutes (1-1440), or 90s, 2h (default none)");
  add_aws_options(cmd, o->aws);
  cmd->callback([&global, &action, o] { action = [&global, o] { return run_session(global, *o); }; });
  setup_sessions_history(app, global, action);
}

} // namespace sshm::cli
