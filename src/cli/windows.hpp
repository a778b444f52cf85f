#pragma once
// Maintenance windows on the command line and in the tick: the records as the store keeps
// them (store/window_tables), the per-window lock a running execution holds, and the tick's
// part that starts executions.
#include "cli/tick.hpp"
#include "schedule/window.hpp"
#include "schedule/window_run.hpp"

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace sshm::store {
class Store;
}

namespace sshm::cli {

// The tick's part for maintenance windows: records missed and overlapping fire times, marks
// executions whose sshm died as TIMED_OUT, and runs each due execution to its end in this
// process while holding the window's lock. Returns the executions started and recorded.
int tick_windows(const TickContext& ctx);

namespace windows {

// A window by WindowId or Name; throws InputError (DoesNotExistException) when none.
schedule::Window find_window(const store::Store& store, const std::string& id_or_name);
std::vector<schedule::Window> all_windows(const store::Store& store);
std::vector<schedule::WindowTarget> targets_of(const store::Store& store, const std::string& window_id);
std::vector<schedule::WindowTask> tasks_of(const store::Store& store, const std::string& window_id);
std::vector<schedule::WindowExecution> executions_of(const store::Store& store, const std::string& window_id);
std::vector<schedule::TaskExecution> task_executions_of(const store::Store& store, const std::string& execution_id);
std::vector<schedule::TaskInvocation> invocations_of(const store::Store& store, const std::string& task_execution_id);
// An execution by its ID; throws InputError (DoesNotExistException) when none.
schedule::WindowExecution find_execution(const store::Store& store, const std::string& execution_id);

void save(store::Store& store, const schedule::Window& w);
void save(store::Store& store, const schedule::WindowTarget& t);
void save(store::Store& store, const schedule::WindowTask& t);
void save(store::Store& store, const schedule::WindowExecution& e);
void save(store::Store& store, const schedule::TaskExecution& t);
void save(store::Store& store, const schedule::TaskInvocation& i);

// The lock a window's running execution holds (flock on <state-dir>/windows/<id>.lock),
// released when it is destroyed or its process dies.
class WindowLock {
public:
  ~WindowLock();
  WindowLock(const WindowLock&) = delete;
  WindowLock& operator=(const WindowLock&) = delete;
  // The lock, or null when another process holds it. Throws RuntimeError when the file
  // cannot be opened.
  static std::unique_ptr<WindowLock> try_take(const std::filesystem::path& state_dir, const std::string& window_id);

private:
  explicit WindowLock(int fd) : m_fd(fd) {}
  int m_fd;
};

// Whether another process holds the window's lock now.
bool window_running(const std::filesystem::path& state_dir, const std::string& window_id);

} // namespace windows
} // namespace sshm::cli
