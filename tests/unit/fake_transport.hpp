#pragma once
// The one Transport of the unit tests: hosts behave as scripted per endpoint name, no network.
// It reads what sshm sends the way a host would (fake_transport.cpp decodes the protocol: the
// remote shell that reads stdin, the wrapper's quoted-heredoc payload, its exports and its
// SSHM_RUN_ID marker, the kill that names a marker), so a change of the wrapper's wording
// leaves the tests alone and a change of its protocol breaks them. Tests answer by what is
// asked (a predicate over the decoded request), never by matching the wrapper's text.
#include "ssh/transport.hpp"

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace sshm::test {

// One exec as the host understands it.
struct Request {
  std::string host;
  std::string command;     // the remote command line, as sent
  std::string stdin_data;  // as sent
  std::string run_as;      // USER of `sudo -n -u USER sh -s`; "" for the login user
  std::string script;      // what finally runs: a wrapper's payload, else all of stdin
  std::map<std::string, std::string> env;  // what a wrapped script sees (SSHM_STEP, ...)
  std::string run_id;      // the SSHM_RUN_ID a wrapper marks its script with, or a kill targets
  bool wrapped = false;    // a step script inside sshm's wrapper
  bool kill = false;       // the kill of a wrapped run: names its marker, carries no payload

  std::string step() const;  // SSHM_STEP, "" when not wrapped
};

// Decodes what sshm sent; the error says which part of the protocol it broke.
Expected<Request, std::string> decode(const std::string& command, const std::string& stdin_data);

struct Reply {
  int exit_status = 0;
  std::string stdout_text;
  std::string stderr_text;
};

using Predicate = std::function<bool(const Request&)>;
using Responder = std::function<Reply(const Request&)>;

Predicate any_request();
Predicate script_contains(std::string text);
Predicate script_starts_with(std::string prefix);
Responder reply(Reply r);
// Runs the request's stdin on this machine under `shell` (e.g. "dash"), as sshd's `sh -s` would.
Responder local_shell(std::string shell);

struct FakeHost {
  std::optional<ssh::FailureKind> connect_failure;
  std::string failure_message = "scripted failure";
  int exit_status = 0;
  std::string stdout_text;
  std::string stderr_text;
  bool hang = false;  // runs until timeout or cancel
  std::chrono::milliseconds delay{0};
  std::map<std::string, int> step_exit;  // exit status by step name (the wrapper's SSHM_STEP)
  // Asked in order, the first whose predicate holds answers; none: the fields above answer.
  std::vector<std::pair<Predicate, Responder>> responders;
  size_t chunk = 0;  // stdout reaches on_stdout in pieces of this size (0: at once)

  FakeHost& on(Predicate when, Responder answer);
};

class FakeTransport : public ssh::Transport {
public:
  std::map<std::string, FakeHost> hosts;  // by endpoint name; missing = default FakeHost
  std::mutex mutex;
  int in_flight = 0;
  int peak_in_flight = 0;
  int kills = 0;
  std::vector<std::string> order;       // hosts in connect order
  std::vector<Request> requests;        // every exec decoded, all hosts, in order
  std::vector<std::string> protocol_errors;

  ~FakeTransport() override;
  Expected<std::unique_ptr<ssh::Session>, ssh::Failure> connect(const ssh::Endpoint& e,
                                                                const std::atomic<bool>* cancel) override;
  // A session on host `name` without a connect, for code handed a session by its caller.
  std::unique_ptr<ssh::Session> session(const std::string& name);
  std::vector<Request> requests_to(const std::string& name);

  // Used by the sessions: a wrapped run started; a kill names a run (false: none started).
  void started(const std::string& run_id);
  bool killed(const std::string& run_id);
  size_t runs_started();  // wrapped runs that began, every host
  void record(Request r);
  void protocol_error(const std::string& message);

private:
  FakeHost host(const std::string& name);
  std::set<std::string> m_runs;
};

} // namespace sshm::test
