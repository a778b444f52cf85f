// The SQL of Patch Manager results: one transaction per operation, and the compliance reads.
#include "store/patch_tables.hpp"

#include "store/sql.hpp"

namespace sshm::store {

namespace {

// The rows of a SELECT host, operation, status, error, start_time, end_time, summary_json.
std::vector<PatchOperationRow> read_operations(Statement& s) {
  std::vector<PatchOperationRow> out;
  while (s.step()) out.push_back({s.text(0), s.text(1), s.text(2), s.text(3), s.text(4), s.text(5), json_of(s.text(6))});
  return out;
}


void insert_operation(Transaction& tx, const PatchOperationRow& op) {
  Statement s(tx,
              "INSERT INTO patch_operations (host, operation, status, error, start_time, end_time, summary_json) "
              "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
  s.bind(1, op.host).bind(2, op.operation).bind(3, op.status).bind(4, op.error);
  s.bind(5, op.start_time).bind(6, op.end_time).bind(7, json_text(op.summary));
  s.run();
}

void replace_state(Transaction& tx, const PatchOperationRow& op, const PatchStateRow& state,
                   const std::vector<PatchItemRow>& items) {
  Statement s(tx,
              "INSERT OR REPLACE INTO patch_summaries (host, operating_system, baseline_id, operation, compliance, "
              "severity, capture_time, summary_json) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
  s.bind(1, op.host).bind(2, state.operating_system).bind(3, state.baseline_id).bind(4, op.operation);
  s.bind(5, state.compliance).bind(6, state.severity).bind(7, state.capture_time).bind(8, json_text(op.summary));
  s.run();
  Statement del(tx, "DELETE FROM patch_items WHERE host = ?1");
  del.bind(1, op.host).run();
  Statement ins(tx,
                "INSERT OR REPLACE INTO patch_items (host, name, arch, state, installed_version, candidate_version, "
                "compliance_level, item_json) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
  for (const PatchItemRow& i : items) {
    ins.bind(1, op.host).bind(2, i.name).bind(3, i.arch).bind(4, i.state).bind(5, i.installed_version);
    ins.bind(6, i.candidate_version).bind(7, i.compliance_level).bind(8, json_text(i.item));
    ins.run();
  }
}

} // namespace

void save_patch_operation(Store& store, const PatchOperationRow& operation, const std::optional<PatchStateRow>& state,
                          const std::vector<PatchItemRow>& items) {
  with_transaction(store, Access::write, [&](Transaction& tx) {
    insert_operation(tx, operation);
    if (state) replace_state(tx, operation, *state, items);
  });
}

std::vector<StoredPatchState> load_patch_states(const Store& store) {
  return with_transaction(store, Access::read, [&](Transaction& tx) {
    std::vector<StoredPatchState> out;
    Statement s(tx, "SELECT host, operating_system, capture_time, summary_json FROM patch_summaries ORDER BY host");
    while (s.step()) out.push_back({s.text(0), s.text(1), s.text(2), json_of(s.text(3)), {}});
    Statement items(tx,
                    "SELECT item_json FROM patch_items WHERE host = ?1 AND state IN "
                    "('Missing', 'Failed', 'InstalledRejected', 'InstalledPendingReboot') ORDER BY name, arch");
    for (StoredPatchState& c : out) {
      items.bind(1, c.host);
      while (items.step()) c.non_compliant.push_back(json_of(items.text(0)));
      items.reset();
    }
    return out;
  });
}

std::vector<PatchOperationRow> patch_history(const Store& store, const std::string& host) {
  return with_transaction(store, Access::read, [&](Transaction& tx) {
    Statement s(tx,
                "SELECT host, operation, status, error, start_time, end_time, summary_json FROM patch_operations "
                "WHERE host = ?1 ORDER BY id");
    s.bind(1, host);
    return read_operations(s);
  });
}

std::vector<PatchOperationRow> patch_operations_since(const Store& store, const std::string& since) {
  return with_transaction(store, Access::read, [&](Transaction& tx) {
    Statement s(tx,
                "SELECT host, operation, status, error, start_time, end_time, summary_json FROM patch_operations "
                "WHERE start_time >= ?1 ORDER BY id");
    s.bind(1, since);
    return read_operations(s);
  });
}

} // namespace sshm::store
