// Maintenance window records in the store: saved whole, listed by parent in sort order,
// replaced in place, and a window deleted with everything that belongs to it.
#include "store/store.hpp"
#include "store/window_tables.hpp"

#include <doctest/doctest.h>
#include <filesystem>
#include <unistd.h>

using namespace sshm::store;

namespace {

struct WindowTempDir {
  std::filesystem::path path;
  WindowTempDir() {
    char tmpl[] = "/tmp/sshm-window-tables-test-XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    path = tmpl;
  }
  ~WindowTempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

} // namespace

TEST_CASE("window records round-trip, list by parent in order, and a window's delete takes its records along") {
  WindowTempDir tmp;
  auto store = Store::open(tmp.path);
  save_window_row(*store, WindowTable::windows, {"mw-1", "", "b-window", {{"Name", "b-window"}}});
  save_window_row(*store, WindowTable::windows, {"mw-2", "", "a-window", {{"Name", "a-window"}}});
  save_window_row(*store, WindowTable::tasks, {"task-late", "mw-1", "0000000002", {{"Priority", 2}}});
  save_window_row(*store, WindowTable::tasks, {"task-early", "mw-1", "0000000001", {{"Priority", 1}}});
  save_window_row(*store, WindowTable::executions, {"exec-1", "mw-1", "2030-01-01", {{"Status", "IN_PROGRESS"}}});
  save_window_row(*store, WindowTable::task_executions, {"te-1", "exec-1", "", {{"Status", "SUCCESS"}}});
  save_window_row(*store, WindowTable::task_invocations, {"inv-1", "te-1", "", {{"ExecutionId", "cmd"}}});
  save_window_row(*store, WindowTable::executions, {"exec-2", "mw-2", "2030-01-01", {{"Status", "SUCCESS"}}});

  auto all = window_rows(*store, WindowTable::windows, "");
  REQUIRE(all.size() == 2);
  CHECK(all[0].id == "mw-2");  // by sort key (the name)
  auto tasks = window_rows(*store, WindowTable::tasks, "mw-1");
  REQUIRE(tasks.size() == 2);
  CHECK(tasks[0].id == "task-early");
  CHECK(tasks[0].body["Priority"] == 1);

  save_window_row(*store, WindowTable::executions, {"exec-1", "mw-1", "2030-01-01", {{"Status", "SUCCESS"}}});
  CHECK(find_window_row(*store, WindowTable::executions, "exec-1")->body["Status"] == "SUCCESS");
  CHECK(window_rows(*store, WindowTable::executions, "mw-1").size() == 1);

  CHECK(delete_window_row(*store, WindowTable::windows, "mw-1"));
  CHECK_FALSE(delete_window_row(*store, WindowTable::windows, "mw-1"));
  CHECK_FALSE(find_window_row(*store, WindowTable::tasks, "task-early"));
  CHECK_FALSE(find_window_row(*store, WindowTable::executions, "exec-1"));
  CHECK_FALSE(find_window_row(*store, WindowTable::task_executions, "te-1"));
  CHECK_FALSE(find_window_row(*store, WindowTable::task_invocations, "inv-1"));
  // The other window keeps its own.
  CHECK(find_window_row(*store, WindowTable::executions, "exec-2"));
}
