// The SQL of package_installs: one row per host and Distributor package.
#include "store/package_tables.hpp"

#include "store/sql.hpp"

namespace sshm::store {

void save_package_install(Store& store, const PackageInstall& r) {
  with_transaction(store, Access::write, [&](Transaction& tx) {
    Statement ins(tx, "INSERT OR REPLACE INTO package_installs (host, name, version, state, package_id, architecture, "
                      "command_id, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
    ins.bind(1, r.host).bind(2, r.name).bind(3, r.version).bind(4, r.state).bind(5, r.package_id);
    ins.bind(6, r.architecture).bind(7, r.command_id).bind(8, r.updated_at);
    ins.run();
  });
}

void delete_package_install(Store& store, const std::string& host, const std::string& name) {
  with_transaction(store, Access::write, [&](Transaction& tx) {
    Statement del(tx, "DELETE FROM package_installs WHERE host = ?1 AND name = ?2");
    del.bind(1, host).bind(2, name);
    del.run();
  });
}

std::vector<PackageInstall> list_package_installs(const Store& store, const std::string& name) {
  return with_transaction(store, Access::read, [&](Transaction& tx) {
    Statement s(tx, "SELECT host, name, version, state, package_id, architecture, command_id, updated_at FROM "
                    "package_installs WHERE (?1 = '' OR name = ?1) ORDER BY host, name");
    s.bind(1, name);
    std::vector<PackageInstall> out;
    while (s.step()) out.push_back({s.text(0), s.text(1), s.text(2), s.text(3), s.text(4), s.text(5), s.text(6), s.text(7)});
    return out;
  });
}

} // namespace sshm::store
