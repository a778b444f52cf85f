// Maintenance window records in the store, and the per-window lock.
#include "cli/windows.hpp"

#include "store/store.hpp"
#include "store/window_tables.hpp"
#include "util/error.hpp"
#include "util/safe_path.hpp"
#include "util/spell.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <unistd.h>

namespace sshm::cli::windows {

namespace {

using store::WindowTable;

std::string priority_key(int priority) { return fmt::format("{:010d}", priority); }

template <typename T, typename F>
std::vector<T> rows_of(const store::Store& store, WindowTable table, const std::string& parent, F from_json) {
  std::vector<T> out;
  for (const auto& row : store::window_rows(store, table, parent)) out.push_back(from_json(row.body));
  return out;
}

} // namespace

schedule::Window find_window(const store::Store& store, const std::string& id_or_name) {
  if (auto row = store::find_window_row(store, WindowTable::windows, id_or_name))
    return schedule::window_from_json(row->body);
  std::vector<std::string> names;
  for (const auto& w : all_windows(store)) {
    if (w.name == id_or_name) return w;
    names.push_back(w.name);
  }
  throw InputError(fmt::format("DoesNotExistException: Maintenance window {} does not exist", id_or_name),
                   closest_match(id_or_name, names));
}

std::vector<schedule::Window> all_windows(const store::Store& store) {
  return rows_of<schedule::Window>(store, WindowTable::windows, "", schedule::window_from_json);
}

std::vector<schedule::WindowTarget> targets_of(const store::Store& store, const std::string& window_id) {
  return rows_of<schedule::WindowTarget>(store, WindowTable::targets, window_id, schedule::window_target_from_json);
}

std::vector<schedule::WindowTask> tasks_of(const store::Store& store, const std::string& window_id) {
  return rows_of<schedule::WindowTask>(store, WindowTable::tasks, window_id, schedule::window_task_from_json);
}

std::vector<schedule::WindowExecution> executions_of(const store::Store& store, const std::string& window_id) {
  return rows_of<schedule::WindowExecution>(store, WindowTable::executions, window_id, schedule::execution_from_json);
}

std::vector<schedule::TaskExecution> task_executions_of(const store::Store& store, const std::string& execution_id) {
  return rows_of<schedule::TaskExecution>(store, WindowTable::task_executions, execution_id,
                                          schedule::task_execution_from_json);
}

std::vector<schedule::TaskInvocation> invocations_of(const store::Store& store, const std::string& task_execution_id) {
  return rows_of<schedule::TaskInvocation>(store, WindowTable::task_invocations, task_execution_id,
                                           schedule::task_invocation_from_json);
}

schedule::WindowExecution find_execution(const store::Store& store, const std::string& execution_id) {
  auto row = store::find_window_row(store, WindowTable::executions, execution_id);
  if (!row)
    throw InputError(fmt::format("DoesNotExistException: Maintenance window execution {} does not exist", execution_id));
  return schedule::execution_from_json(row->body);
}

void save(store::Store& store, const schedule::Window& w) {
  store::save_window_row(store, WindowTable::windows, {w.window_id, "", w.name, schedule::window_json(w, std::nullopt)});
}

void save(store::Store& store, const schedule::WindowTarget& t) {
  store::save_window_row(store, WindowTable::targets,
                         {t.window_target_id, t.window_id, "", schedule::window_target_json(t)});
}

void save(store::Store& store, const schedule::WindowTask& t) {
  store::save_window_row(store, WindowTable::tasks,
                         {t.window_task_id, t.window_id, priority_key(t.priority), schedule::window_task_json(t)});
}

void save(store::Store& store, const schedule::WindowExecution& e) {
  store::save_window_row(store, WindowTable::executions,
                         {e.window_execution_id, e.window_id, e.start_time, schedule::execution_json(e)});
}

void save(store::Store& store, const schedule::TaskExecution& t) {
  store::save_window_row(store, WindowTable::task_executions,
                         {t.task_execution_id, t.window_execution_id, priority_key(t.priority) + t.start_time,
                          schedule::task_execution_json(t)});
}

void save(store::Store& store, const schedule::TaskInvocation& i) {
  store::save_window_row(store, WindowTable::task_invocations,
                         {i.invocation_id, i.task_execution_id, i.start_time, schedule::task_invocation_json(i)});
}

WindowLock::~WindowLock() { ::close(m_fd); }

std::unique_ptr<WindowLock> WindowLock::try_take(const std::filesystem::path& state_dir, const std::string& window_id) {
  const std::filesystem::path dir = state_dir / "windows";
  std::error_code ec;
  create_private_dirs(dir, ec);
  if (ec) throw RuntimeError(fmt::format("cannot create {}: {}", dir.string(), ec.message()));
  const std::string path = (dir / (window_id + ".lock")).string();
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) throw RuntimeError(fmt::format("cannot open {}: {}", path, std::strerror(errno)));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    return nullptr;
  }
  return std::unique_ptr<WindowLock>(new WindowLock(fd));
}

bool window_running(const std::filesystem::path& state_dir, const std::string& window_id) {
  return WindowLock::try_take(state_dir, window_id) == nullptr;
}

} // namespace sshm::cli::windows
