#pragma once
// A bastion (ProxyJump host): one authenticated session that carries direct-tcpip channels
// to many hosts. A single pump thread owns the libssh session; each forwarded connection is
// a socketpair whose other end becomes the target session's socket. Internal to src/ssh.
#include "ssh/libssh_common.hpp"

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace sshm::ssh {

class Bastion {
public:
  // Connects and authenticates to the bastion itself, within the deadline.
  using Connector = std::function<Expected<OwnedSession, Failure>(TimePoint deadline)>;

  // Starts the pump thread, which connects first; `label` names the bastion in messages.
  Bastion(std::string label, int connect_timeout_s, Connector connector);
  ~Bastion();
  Bastion(const Bastion&) = delete;
  Bastion& operator=(const Bastion&) = delete;

  // A socket connected through the bastion to host:port, or why not.
  Expected<int, Failure> forward(const std::string& host, int port, TimePoint deadline,
                                 const std::atomic<bool>* cancel);

  // True once the bastion session is gone (failed to connect or dropped).
  bool dead();
  // True when it failed before ever being up: later hosts get the same answer at once.
  bool failed_to_connect();

private:
  struct Request {
    std::string host;
    int port = 0;
    bool done = false;
    bool abandoned = false;
    int fd = -1;
    Failure failure{FailureKind::channel, ""};
  };

  struct Forward {
    std::shared_ptr<Request> request;
    ssh_channel channel = nullptr;
    int fd = -1;          // our end of the socketpair
    bool open = false;    // channel open confirmed
    std::string to_sock;  // channel data not yet written to the socket
    bool sock_eof = false;
    bool chan_eof_sent_to_sock = false;
    bool done = false;
  };

  void wake();
  // Hands a request its socket (or failure), unless its caller has gone.
  void finish(const std::shared_ptr<Request>& req, int fd, Failure failure);
  // Marks the bastion dead and fails every request still queued.
  void die(Failure failure);
  static Failure open_failure(const std::string& target, const std::string& error, const std::string& label);

  // The pump thread: connect, then move bytes until stopped or the session drops.
  void run();
  // Steps of the pump loop, each over the pump's own session and forwards.
  bool take_requests(ssh_session session, std::list<Forward>& forwards);
  bool try_open(ssh_session session, Forward& f);
  void pump(Forward& f);
  static void reap(std::list<Forward>& forwards);
  void wait_for_io(ssh_session session, const std::list<Forward>& forwards, bool opening);
  void shut_down(std::list<Forward>& forwards);

  std::string m_label;
  int m_timeout_s;
  Connector m_connector;
  int m_wake = -1;
  std::mutex m_mutex;
  std::condition_variable m_cv;
  std::deque<std::shared_ptr<Request>> m_requests;
  bool m_stop = false;
  bool m_dead = false;
  bool m_was_up = false;
  Failure m_dead_failure{FailureKind::dropped, ""};
  char m_buf[k_io_chunk];  // the pump thread's
  std::thread m_thread;
};

} // namespace sshm::ssh
