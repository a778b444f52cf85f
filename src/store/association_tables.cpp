// The SQL of State Manager associations: definitions and versions, executions, execution
// targets and per-host statuses.
#include "store/association_tables.hpp"

#include "store/sql.hpp"

#include <fmt/format.h>

namespace sshm::store {

namespace {


constexpr const char* k_association_columns =
    "association_id, association_name, association_version, definition, run_requested, request_reason, has_run, "
    "schedule_from, anchor, parameters_digest, last_execution_date, last_successful_execution_date";

void bind_association(Statement& s, const AssociationRow& r) {
  s.bind(1, r.association_id).bind(2, r.association_name).bind(3, r.association_version);
  s.bind(4, json_text(r.definition)).bind(5, r.run_requested ? 1 : 0).bind(6, r.request_reason);
  s.bind(7, r.has_run ? 1 : 0).bind(8, r.schedule_from).bind(9, r.anchor).bind(10, r.parameters_digest);
  s.bind(11, r.last_execution_date).bind(12, r.last_successful_execution_date);
}

AssociationRow read_association(const Statement& s) {
  AssociationRow r;
  r.association_id = s.text(0);
  r.association_name = s.text(1);
  r.association_version = static_cast<int>(s.integer(2));
  r.definition = json_of(s.text(3));
  r.run_requested = s.integer(4) != 0;
  r.request_reason = s.text(5);
  r.has_run = s.integer(6) != 0;
  r.schedule_from = s.text(7);
  r.anchor = s.text(8);
  r.parameters_digest = s.text(9);
  r.last_execution_date = s.text(10);
  r.last_successful_execution_date = s.text(11);
  return r;
}

void insert_version(Transaction& tx, const AssociationRow& row) {
  Statement v(tx, "INSERT OR REPLACE INTO association_versions (association_id, association_version, definition) "
                  "VALUES (?1, ?2, ?3)");
  v.bind(1, row.association_id).bind(2, row.association_version).bind(3, json_text(row.definition)).run();
}

bool name_taken(Transaction& tx, const std::string& name, const std::string& other_than_id) {
  if (name.empty()) return false;
  Statement s(tx, "SELECT 1 FROM associations WHERE association_name = ?1 AND association_id <> ?2");
  s.bind(1, name).bind(2, other_than_id);
  return s.step();
}

} // namespace

void insert_association(Store& store, const AssociationRow& row) {
  with_transaction(store, Access::write, [&](Transaction& tx) {
    if (name_taken(tx, row.association_name, row.association_id))
      throw InputError(fmt::format("AssociationAlreadyExists: an association named '{}' exists", row.association_name));
    Statement ins(tx, fmt::format("INSERT INTO associations ({}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, "
                                  "?11, ?12)",
                                  k_association_columns));
    bind_association(ins, row);
    ins.run();
    insert_version(tx, row);
  });
}

void save_association(Store& store, const AssociationRow& row, bool new_version) {
  with_transaction(store, Access::write, [&](Transaction& tx) {
    if (name_taken(tx, row.association_name, row.association_id))
      throw InputError(fmt::format("AssociationAlreadyExists: an association named '{}' exists", row.association_name));
    Statement up(tx, fmt::format("INSERT OR REPLACE INTO associations ({}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, "
                                 "?9, ?10, ?11, ?12)",
                                 k_association_columns));
    bind_association(up, row);
    up.run();
    if (new_version) insert_version(tx, row);
  });
}

std::vector<AssociationRow> list_associations(const Store& store) {
  return with_transaction(store, Access::read, [&](Transaction& tx) {
    Statement s(tx, fmt::format("SELECT {} FROM associations ORDER BY association_name, association_id",
                                k_association_columns));
    std::vector<AssociationRow> out;
    while (s.step()) out.push_back(read_association(s));
    return out;
  });
}

std::optional<AssociationRow> find_association(const Store& store, const std::string& id_or_name) {
  return with_transaction(store, Access::read, [&](Transaction& tx) -> std::optional<AssociationRow> {
    Statement s(tx, fmt::format("SELECT {} FROM associations WHERE association_id = ?1 OR "
                                "(association_name <> '' AND association_name = ?1)",
                                k_association_columns));
    s.bind(1, id_or_name);
    if (!s.step()) return std::nullopt;
    return read_association(s);
  });
}

std::vector<nlohmann::json> association_versions(const Store& store, const std::string& association_id) {
  return with_transaction(store, Access::read, [&](Transaction& tx) {
    Statement s(tx, "SELECT definition FROM association_versions WHERE association_id = ?1 "
                    "ORDER BY association_version");
    s.bind(1, association_id);
    std::vector<nlohmann::json> out;
    while (s.step()) out.push_back(json_of(s.text(0)));
    return out;
  });
}

void delete_association(Store& store, const std::string& association_id) {
  with_transaction(store, Access::write, [&](Transaction& tx) {
    for (const char* table : {"associations", "association_versions", "association_executions",
                              "association_execution_targets", "association_hosts"}) {
      Statement del(tx, fmt::format("DELETE FROM {} WHERE association_id = ?1", table));
      del.bind(1, association_id).run();
    }
  });
}

void save_association_execution(Store& store, const AssociationExecutionRow& r) {
  with_transaction(store, Access::write, [&](Transaction& tx) {
    Statement s(tx, "INSERT OR REPLACE INTO association_executions (association_id, association_version, "
                    "execution_id, status, detailed_status, created_time, last_execution_date, "
                    "resource_count_by_status, command_id, run_trigger) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)");
    s.bind(1, r.association_id).bind(2, r.association_version).bind(3, r.execution_id).bind(4, r.status);
    s.bind(5, r.detailed_status).bind(6, r.created_time).bind(7, r.last_execution_date);
    s.bind(8, json_text(r.resource_count_by_status)).bind(9, r.command_id).bind(10, r.trigger).run();
  });
}

std::vector<AssociationExecutionRow> list_association_executions(const Store& store, const std::string& association_id,
                                                                 int limit) {
  return with_transaction(store, Access::read, [&](Transaction& tx) {
    Statement s(tx, "SELECT association_id, association_version, execution_id, status, detailed_status, "
                    "created_time, last_execution_date, resource_count_by_status, command_id, run_trigger "
                    "FROM association_executions WHERE association_id = ?1 ORDER BY created_time DESC, rowid DESC "
                    "LIMIT ?2");
    s.bind(1, association_id).bind(2, limit);
    std::vector<AssociationExecutionRow> out;
    while (s.step()) {
      AssociationExecutionRow r;
      r.association_id = s.text(0);
      r.association_version = static_cast<int>(s.integer(1));
      r.execution_id = s.text(2);
      r.status = s.text(3);
      r.detailed_status = s.text(4);
      r.created_time = s.text(5);
      r.last_execution_date = s.text(6);
      r.resource_count_by_status = json_of(s.text(7));
      r.command_id = s.text(8);
      r.trigger = s.text(9);
      out.push_back(std::move(r));
    }
    return out;
  });
}

void save_association_targets(Store& store, const std::vector<AssociationExecutionTargetRow>& targets,
                              const std::vector<AssociationHostRow>& hosts) {
  with_transaction(store, Access::write, [&](Transaction& tx) {
    Statement t(tx, "INSERT OR REPLACE INTO association_execution_targets (association_id, association_version, "
                    "execution_id, resource_id, status, detailed_status, last_execution_date, command_id) "
                    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
    for (const auto& r : targets) {
      t.bind(1, r.association_id).bind(2, r.association_version).bind(3, r.execution_id).bind(4, r.resource_id);
      t.bind(5, r.status).bind(6, r.detailed_status).bind(7, r.last_execution_date).bind(8, r.command_id).run();
    }
    Statement h(tx, "INSERT OR REPLACE INTO association_hosts (association_id, resource_id, status, detailed_status, "
                    "date) VALUES (?1, ?2, ?3, ?4, ?5)");
    for (const auto& r : hosts)
      h.bind(1, r.association_id).bind(2, r.resource_id).bind(3, r.status).bind(4, r.detailed_status).bind(5, r.date).run();
  });
}

std::vector<AssociationExecutionTargetRow> list_association_execution_targets(const Store& store,
                                                                              const std::string& association_id,
                                                                              const std::string& execution_id) {
  return with_transaction(store, Access::read, [&](Transaction& tx) {
    Statement s(tx, "SELECT association_id, association_version, execution_id, resource_id, status, detailed_status, "
                    "last_execution_date, command_id FROM association_execution_targets WHERE association_id = ?1 "
                    "AND execution_id = ?2 ORDER BY resource_id");
    s.bind(1, association_id).bind(2, execution_id);
    std::vector<AssociationExecutionTargetRow> out;
    while (s.step())
      out.push_back({s.text(0), static_cast<int>(s.integer(1)), s.text(2), s.text(3), s.text(4), s.text(5), s.text(6),
                     s.text(7)});
    return out;
  });
}

std::vector<AssociationHostRow> list_association_hosts(const Store& store, const std::string& association_id) {
  return with_transaction(store, Access::read, [&](Transaction& tx) {
    Statement s(tx, "SELECT association_id, resource_id, status, detailed_status, date FROM association_hosts "
                    "WHERE association_id = ?1 ORDER BY resource_id");
    s.bind(1, association_id);
    std::vector<AssociationHostRow> out;
    while (s.step()) out.push_back({s.text(0), s.text(1), s.text(2), s.text(3), s.text(4)});
    return out;
  });
}

} // namespace sshm::store
