// The SQL of compliance items: one transaction per upload, and the reads.
#include "store/compliance_tables.hpp"

#include "store/sql.hpp"

namespace sshm::store {

void put_compliance_items(Store& store, const std::string& resource_id, const std::string& type,
                          const std::string& execution_id, const std::string& execution_time,
                          const std::vector<ComplianceItem>& items, bool complete) {
  with_transaction(store, Access::write, [&](Transaction& tx) {
    if (complete) {
      Statement del(tx, "DELETE FROM compliance_items WHERE resource_id = ?1 AND compliance_type = ?2");
      del.bind(1, resource_id).bind(2, type).run();
    }
    Statement ins(tx,
                  "INSERT OR REPLACE INTO compliance_items (resource_id, compliance_type, id, title, status, severity, "
                  "details, execution_id, execution_time) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
    for (const ComplianceItem& i : items) {
      ins.bind(1, resource_id).bind(2, type).bind(3, i.id).bind(4, i.title).bind(5, i.status).bind(6, i.severity);
      ins.bind(7, json_text(i.details)).bind(8, execution_id).bind(9, execution_time);
      ins.run();
    }
  });
}

std::vector<StoredComplianceItem> list_compliance_items(const Store& store, const std::string& resource_id,
                                                        const std::string& type) {
  return with_transaction(store, Access::read, [&](Transaction& tx) {
    Statement s(tx,
                "SELECT resource_id, compliance_type, id, title, status, severity, details, execution_id, "
                "execution_time FROM compliance_items WHERE (?1 = '' OR resource_id = ?1) AND "
                "(?2 = '' OR compliance_type = ?2) ORDER BY resource_id, compliance_type, id");
    s.bind(1, resource_id).bind(2, type);
    std::vector<StoredComplianceItem> out;
    while (s.step()) {
      StoredComplianceItem row;
      row.resource_id = s.text(0);
      row.compliance_type = s.text(1);
      row.item = {s.text(2), s.text(3), s.text(4), s.text(5), json_of(s.text(6))};
      row.execution_id = s.text(7);
      row.execution_time = s.text(8);
      out.push_back(std::move(row));
    }
    return out;
  });
}

void delete_compliance_items(Store& store, const std::string& type, const std::string& id) {
  with_transaction(store, Access::write, [&](Transaction& tx) {
    Statement del(tx, "DELETE FROM compliance_items WHERE compliance_type = ?1 AND id = ?2");
    del.bind(1, type).bind(2, id).run();
  });
}

} // namespace sshm::store
