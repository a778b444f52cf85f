// Patch reports as store rows: what a completed operation tells about a host.
#include "patch/compliance.hpp"

#include "store/patch_tables.hpp"

namespace sshm::patch {

void save_report(store::Store& store, const HostPatchReport& r) {
  nlohmann::json summary = summary_to_json(r.summary);
  store::PatchOperationRow op{r.host,
                              r.summary.operation,
                              r.status,
                              r.error,
                              r.summary.operation_start_time,
                              r.summary.operation_end_time,
                              summary};
  // Only a completed scan or install knows the host's state.
  bool complete = r.status == "Success" || (!r.items.empty() && r.failure_kind.empty());
  std::optional<store::PatchStateRow> state;
  std::vector<store::PatchItemRow> items;
  if (complete) {
    state = store::PatchStateRow{r.operating_system, r.summary.baseline_id, r.summary.compliance, r.summary.severity,
                                 r.summary.operation_end_time};
    items.reserve(r.items.size());
    for (const PatchItem& i : r.items)
      items.push_back({i.name, i.arch, to_string(i.state), i.installed_version, i.candidate_version,
                       to_string(i.compliance_level), item_to_json(i)});
  }
  store::save_patch_operation(store, op, state, items);
}

std::vector<StoredCompliance> load_compliance(const store::Store& store) {
  std::vector<StoredCompliance> out;
  for (store::StoredPatchState& s : store::load_patch_states(store))
    out.push_back({std::move(s.host), std::move(s.operating_system), std::move(s.capture_time), std::move(s.summary),
                   std::move(s.non_compliant)});
  return out;
}

} // namespace sshm::patch
