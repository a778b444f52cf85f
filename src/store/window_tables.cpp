// The SQL of maintenance windows: one table per record kind, each row a JSON record.
#include "store/window_tables.hpp"

#include "store/sql.hpp"

#include <fmt/format.h>

namespace sshm::store {

namespace {

const char* table_name(WindowTable t) {
  switch (t) {
  case WindowTable::windows: return "windows";
  case WindowTable::targets: return "window_targets";
  case WindowTable::tasks: return "window_tasks";
  case WindowTable::executions: return "window_executions";
  case WindowTable::task_executions: return "window_task_executions";
  case WindowTable::task_invocations: return "window_task_invocations";
  }
  return "windows";
}

std::string json_text(const nlohmann::json& j) { return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace); }

nlohmann::json json_of(const std::string& text) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  return j.is_discarded() ? nlohmann::json::object() : j;
}

void delete_children(Transaction& tx, const std::string& window_id) {
  const char* const sql[] = {
      "DELETE FROM window_task_invocations WHERE parent IN (SELECT id FROM window_task_executions WHERE parent IN "
      "(SELECT id FROM window_executions WHERE parent = ?1))",
      "DELETE FROM window_task_executions WHERE parent IN (SELECT id FROM window_executions WHERE parent = ?1)",
      "DELETE FROM window_executions WHERE parent = ?1",
      "DELETE FROM window_tasks WHERE parent = ?1",
      "DELETE FROM window_targets WHERE parent = ?1",
  };
  for (const char* q : sql) {
    Statement s(tx, q);
    s.bind(1, window_id).run();
  }
}

} // namespace

void save_window_row(Store& store, WindowTable table, const WindowRow& row) {
  const std::string sql = fmt::format(
      "INSERT INTO {} (id, parent, sort_key, body_json) VALUES (?1, ?2, ?3, ?4) ON CONFLICT(id) DO UPDATE SET "
      "parent = excluded.parent, sort_key = excluded.sort_key, body_json = excluded.body_json",
      table_name(table));
  with_transaction(store, Access::write, [&](Transaction& tx) {
    Statement s(tx, sql);
    s.bind(1, row.id).bind(2, row.parent).bind(3, row.sort_key).bind(4, json_text(row.body));
    s.run();
  });
}

std::optional<WindowRow> find_window_row(const Store& store, WindowTable table, const std::string& id) {
  const std::string sql = fmt::format("SELECT id, parent, sort_key, body_json FROM {} WHERE id = ?1", table_name(table));
  return with_transaction(store, Access::read, [&](Transaction& tx) -> std::optional<WindowRow> {
    Statement s(tx, sql);
    s.bind(1, id);
    if (!s.step()) return std::nullopt;
    return WindowRow{s.text(0), s.text(1), s.text(2), json_of(s.text(3))};
  });
}

std::vector<WindowRow> window_rows(const Store& store, WindowTable table, const std::string& parent) {
  const std::string sql =
      fmt::format("SELECT id, parent, sort_key, body_json FROM {} {} ORDER BY sort_key, rowid", table_name(table),
                  parent.empty() ? "" : "WHERE parent = ?1");
  return with_transaction(store, Access::read, [&](Transaction& tx) {
    Statement s(tx, sql);
    if (!parent.empty()) s.bind(1, parent);
    std::vector<WindowRow> out;
    while (s.step()) out.push_back({s.text(0), s.text(1), s.text(2), json_of(s.text(3))});
    return out;
  });
}

bool delete_window_row(Store& store, WindowTable table, const std::string& id) {
  const std::string sql = fmt::format("DELETE FROM {} WHERE id = ?1", table_name(table));
  return with_transaction(store, Access::write, [&](Transaction& tx) {
    bool found = false;
    {
      Statement q(tx, fmt::format("SELECT 1 FROM {} WHERE id = ?1", table_name(table)));
      q.bind(1, id);
      found = q.step();
    }
    if (!found) return false;
    if (table == WindowTable::windows) delete_children(tx, id);
    Statement s(tx, sql);
    s.bind(1, id).run();
    return true;
  });
}

} // namespace sshm::store
