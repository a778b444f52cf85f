#include "fake_transport.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <doctest/doctest.h>
#include <filesystem>
#include <fstream>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace sshm::test {

namespace {

// The marker the wrapper puts in its script's environment and the kill looks for: the one
// name both sides of the protocol must agree on.
constexpr std::string_view k_marker = "SSHM_RUN_ID=";

// One shell word: `raw` as written (quotes kept, so an assignment word can be told from a
// quoted string), `value` with the quotes removed.
struct Word {
  std::string raw, value;
};

bool separator(char c) {
  return c == ' ' || c == '\t' || c == ';' || c == '&' || c == '|' || c == '(' || c == ')';
}

// Reads a quoted run starting at line[i] (the opening quote) into w; returns the index past it.
size_t read_quoted(std::string_view line, size_t i, Word& w) {
  const char q = line[i];
  w.raw += q;
  for (++i; i < line.size() && line[i] != q; ++i) {
    w.raw += line[i];
    if (q == '"' && line[i] == '\\' && i + 1 < line.size()) w.raw += line[++i];
    w.value += line[i];
  }
  if (i < line.size()) w.raw += q;
  return i + 1;
}

// The words of one logical line of `text` from `i` (a quoted newline does not end it), split
// at blanks and control operators outside quotes; returns the index past the line's newline.
size_t read_line(std::string_view text, size_t i, std::vector<Word>& out) {
  Word w;
  auto flush = [&] {
    if (!w.raw.empty()) out.push_back(std::move(w));
    w = Word{};
  };
  while (i < text.size() && text[i] != '\n') {
    char c = text[i];
    if (separator(c)) {
      flush();
      ++i;
    } else if (c == '\'' || c == '"') {
      i = read_quoted(text, i, w);
    } else if (c == '\\' && i + 1 < text.size()) {
      w.raw += text.substr(i, 2);
      w.value += text[i + 1];
      i += 2;
    } else {
      w.raw += c;
      w.value += c;
      ++i;
    }
  }
  flush();
  return i + 1;
}

std::vector<Word> words(std::string_view line) {
  std::vector<Word> out;
  read_line(line, 0, out);
  return out;
}

// The body of a here-document starting at `i`, up to its delimiter line; returns the index
// past that line.
size_t read_body(const std::string& text, size_t i, const std::string& delimiter, std::string& body) {
  while (i < text.size()) {
    size_t end = text.find('\n', i);
    if (end == std::string::npos) end = text.size();
    std::string_view line(text.data() + i, end - i);
    i = end + 1;
    if (line == delimiter) break;
    body.append(line).append("\n");
  }
  return i;
}

// The delimiters of the here-documents a line opens (`<<'END'`, `<< END`, `<<-END`), in order.
std::vector<std::string> heredoc_delimiters(const std::vector<Word>& ws) {
  std::vector<std::string> out;
  for (size_t i = 0; i < ws.size(); ++i) {
    if (ws[i].raw.rfind("<<", 0) != 0) continue;
    std::string d = ws[i].value.substr(2);
    if (!d.empty() && d[0] == '-') d.erase(0, 1);
    if (d.empty() && i + 1 < ws.size()) d = ws[++i].value;
    out.push_back(d);
  }
  return out;
}

// What the shell text says, outside here-document bodies: the payloads it carries, what it
// exports, the run marker it assigns to a command, and a marker it only names as data.
struct ShellText {
  std::vector<std::string> payloads;
  std::map<std::string, std::string> exports;
  std::optional<std::string> assigned_marker;
  std::optional<std::string> named_marker;
};

void read_words(const std::vector<Word>& ws, ShellText& t) {
  const bool exporting = !ws.empty() && ws[0].raw == "export";
  for (const Word& w : ws) {
    auto eq = w.value.find('=');
    if (exporting && &w != &ws[0] && eq != std::string::npos) t.exports[w.value.substr(0, eq)] = w.value.substr(eq + 1);
    if (w.raw.rfind(k_marker, 0) == 0) {
      t.assigned_marker = w.value.substr(k_marker.size());
    } else if (auto at = w.value.find(k_marker); at != std::string::npos) {
      t.named_marker = w.value.substr(at + k_marker.size());
    }
  }
}

ShellText read_shell(const std::string& text) {
  ShellText t;
  for (size_t i = 0; i < text.size();) {
    std::vector<Word> ws;
    i = read_line(text, i, ws);
    read_words(ws, t);
    for (const std::string& delimiter : heredoc_delimiters(ws)) i = read_body(text, i, delimiter, t.payloads.emplace_back());
  }
  return t;
}

// `sh -s` or `sudo -n -u USER sh -s`: a shell reading its script from stdin. Sets run_as.
bool reads_stdin(const std::string& command, std::string& run_as) {
  std::vector<std::string> v;
  for (const Word& w : words(command)) v.push_back(w.value);
  const bool sudo = v.size() == 6 && v[0] == "sudo" && v[1] == "-n" && v[2] == "-u";
  if (sudo) run_as = v[3];
  const size_t shell = sudo ? 4 : 0;
  return v.size() == shell + 2 && v[shell] == "sh" && v[shell + 1] == "-s";
}

} // namespace

std::string Request::step() const {
  auto it = env.find("SSHM_STEP");
  return it == env.end() ? "" : it->second;
}

Expected<Request, std::string> decode(const std::string& command, const std::string& stdin_data) {
  Request r;
  r.command = command;
  r.stdin_data = stdin_data;
  r.script = stdin_data.empty() ? command : stdin_data;
  if (stdin_data.empty()) return r;  // nothing on stdin: the command line is all there is
  if (!reads_stdin(command, r.run_as)) return unexpected("a script on stdin for a command that does not read it: " + command);
  ShellText t = read_shell(stdin_data);
  if (t.assigned_marker) {
    if (t.payloads.empty()) return unexpected(std::string("a run marker with no script to run"));
    r.wrapped = true;
    r.run_id = *t.assigned_marker;
    r.script = t.payloads.front();
    r.env = t.exports;
    r.env["SSHM_RUN_ID"] = r.run_id;
  } else if (t.named_marker && t.payloads.empty()) {
    r.kill = true;
    r.run_id = *t.named_marker;
  }
  return r;
}

Predicate any_request() {
  return [](const Request&) { return true; };
}

Predicate script_contains(std::string text) {
  return [text = std::move(text)](const Request& r) { return r.script.find(text) != std::string::npos; };
}

Predicate script_starts_with(std::string prefix) {
  return [prefix = std::move(prefix)](const Request& r) { return r.script.rfind(prefix, 0) == 0; };
}

Responder reply(Reply r) {
  return [r = std::move(r)](const Request&) { return r; };
}

Responder local_shell(std::string shell) {
  return [shell = std::move(shell)](const Request& req) {
    char path[] = "/tmp/sshm-fake-stdin-XXXXXX";
    int fd = ::mkstemp(path);
    REQUIRE(fd >= 0);
    ::close(fd);
    std::ofstream(path, std::ios::binary) << req.stdin_data;
    std::string cmd = shell + " -s < " + path + " 2>/dev/null";
    Reply r;
    FILE* p = ::popen(cmd.c_str(), "r");
    REQUIRE(p);
    std::array<char, 4096> buf{};
    size_t n;
    while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) r.stdout_text.append(buf.data(), n);
    int status = ::pclose(p);
    std::filesystem::remove(path);
    r.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return r;
  };
}

FakeHost& FakeHost::on(Predicate when, Responder answer) {
  responders.emplace_back(std::move(when), std::move(answer));
  return *this;
}

namespace {

// The host's answer to a request: its first responder that wants it, else its fields, where
// a wrapped step may have an exit status of its own.
Reply answer(const FakeHost& h, const Request& req) {
  for (const auto& [when, respond] : h.responders)
    if (when(req)) return respond(req);
  Reply r{h.exit_status, h.stdout_text, h.stderr_text};
  if (auto it = h.step_exit.find(req.step()); req.wrapped && it != h.step_exit.end()) r.exit_status = it->second;
  return r;
}

void deliver(const std::string& text, size_t chunk, const std::function<void(std::string_view)>& to) {
  if (text.empty() || !to) return;
  const size_t size = chunk ? chunk : text.size();
  for (size_t at = 0; at < text.size(); at += size) to(std::string_view(text).substr(at, size));
}

// Runs until the request's timeout passes or it is cancelled, as a script that never ends.
ssh::ExecResult hang_until_stopped(const ssh::ExecRequest& req) {
  ssh::ExecResult r;
  auto deadline = std::chrono::steady_clock::now() + req.timeout;
  while (true) {
    if (req.cancel && req.cancel->load()) {
      r.cancelled = true;
      return r;
    }
    if (req.timeout.count() && std::chrono::steady_clock::now() >= deadline) {
      r.timed_out = true;
      return r;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

class FakeSession : public ssh::Session {
public:
  FakeSession(FakeTransport& t, FakeHost h, std::string name) : m_t(t), m_h(std::move(h)), m_name(std::move(name)) {
    std::lock_guard<std::mutex> lock(m_t.mutex);
    m_t.peak_in_flight = std::max(m_t.peak_in_flight, ++m_t.in_flight);
  }
  ~FakeSession() override {
    std::lock_guard<std::mutex> lock(m_t.mutex);
    --m_t.in_flight;
  }

  Expected<ssh::ExecResult, ssh::Failure> exec(const ssh::ExecRequest& req) override {
    auto decoded = decode(req.command, req.stdin_data);
    if (!decoded) {
      m_t.protocol_error(decoded.error());
      return unexpected(ssh::Failure{ssh::FailureKind::protocol, "fake transport: " + decoded.error()});
    }
    decoded->host = m_name;
    m_t.record(*decoded);
    if (decoded->kill) return kill(decoded->run_id);
    if (decoded->wrapped) m_t.started(decoded->run_id);
    return run(req, *decoded);
  }
  std::chrono::milliseconds connect_time() const override { return std::chrono::milliseconds(1); }

private:
  ssh::ExecResult kill(const std::string& run_id) {
    if (!m_t.killed(run_id)) m_t.protocol_error("a kill of run " + run_id + ", which was never started");
    ssh::ExecResult r;
    r.exit_status = 0;
    return r;
  }

  ssh::ExecResult run(const ssh::ExecRequest& req, const Request& decoded) {
    if (m_h.delay.count()) std::this_thread::sleep_for(m_h.delay);
    if (m_h.hang) return hang_until_stopped(req);
    Reply reply = answer(m_h, decoded);
    deliver(reply.stdout_text, m_h.chunk, req.on_stdout);
    deliver(reply.stderr_text, 0, req.on_stderr);
    ssh::ExecResult r;
    r.exit_status = reply.exit_status;
    return r;
  }

  FakeTransport& m_t;
  FakeHost m_h;
  std::string m_name;
};

} // namespace

FakeTransport::~FakeTransport() {
  for (const std::string& e : protocol_errors) FAIL_CHECK("fake transport: sshm broke the wrapper's protocol: " << e);
}

FakeHost FakeTransport::host(const std::string& name) {
  std::lock_guard<std::mutex> lock(mutex);
  auto it = hosts.find(name);
  return it == hosts.end() ? FakeHost{} : it->second;
}

Expected<std::unique_ptr<ssh::Session>, ssh::Failure> FakeTransport::connect(const ssh::Endpoint& e,
                                                                             const std::atomic<bool>*) {
  {
    std::lock_guard<std::mutex> lock(mutex);
    order.push_back(e.name);
  }
  FakeHost h = host(e.name);
  if (h.connect_failure) return unexpected(ssh::Failure{*h.connect_failure, h.failure_message});
  return std::unique_ptr<ssh::Session>(std::make_unique<FakeSession>(*this, std::move(h), e.name));
}

std::unique_ptr<ssh::Session> FakeTransport::session(const std::string& name) {
  return std::make_unique<FakeSession>(*this, host(name), name);
}

std::vector<Request> FakeTransport::requests_to(const std::string& name) {
  std::lock_guard<std::mutex> lock(mutex);
  std::vector<Request> out;
  std::copy_if(requests.begin(), requests.end(), std::back_inserter(out), [&](const Request& r) { return r.host == name; });
  return out;
}

void FakeTransport::started(const std::string& run_id) {
  std::lock_guard<std::mutex> lock(mutex);
  m_runs.insert(run_id);
}

size_t FakeTransport::runs_started() {
  std::lock_guard<std::mutex> lock(mutex);
  return m_runs.size();
}

bool FakeTransport::killed(const std::string& run_id) {
  std::lock_guard<std::mutex> lock(mutex);
  ++kills;
  return m_runs.count(run_id) > 0;
}

void FakeTransport::record(Request r) {
  std::lock_guard<std::mutex> lock(mutex);
  requests.push_back(std::move(r));
}

void FakeTransport::protocol_error(const std::string& message) {
  std::lock_guard<std::mutex> lock(mutex);
  protocol_errors.push_back(message);
}

} // namespace sshm::test
