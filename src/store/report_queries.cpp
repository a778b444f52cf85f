// The SQL behind `sshm report`'s reads.
#include "store/report_queries.hpp"

#include "store/sql.hpp"

namespace sshm::store {

std::vector<InvocationBrief> invocation_briefs(const Store& store, const std::string& command_id) {
  return with_transaction(store, Access::read, [&](Transaction& tx) {
    Statement s(tx,
                "SELECT instance_id, status, status_details, response_code, execution_end_date_time, "
                "CASE WHEN status = 'Success' THEN '' ELSE standard_error_content END, failure_kind, failure_message "
                "FROM invocations WHERE command_id = ?1 ORDER BY instance_id");
    s.bind(1, command_id);
    std::vector<InvocationBrief> out;
    while (s.step())
      out.push_back({s.text(0), s.text(1), s.text(2), static_cast<int>(s.integer(3)), s.text(4), s.text(5), s.text(6),
                     s.text(7)});
    return out;
  });
}

std::vector<HostContact> last_contacts(const Store& store) {
  return with_transaction(store, Access::read, [&](Transaction& tx) {
    // SQLite gives the other columns of the row that holds max() (its "bare column" rule).
    Statement s(tx,
                "SELECT instance_id, max(requested_date_time), status, failure_kind FROM invocations "
                "WHERE status NOT IN ('Pending', 'InProgress', 'Terminated', 'Cancelled') "
                "GROUP BY instance_id ORDER BY instance_id");
    std::vector<HostContact> out;
    while (s.step()) out.push_back({s.text(0), s.text(1), s.text(2), s.text(3)});
    return out;
  });
}

} // namespace sshm::store
