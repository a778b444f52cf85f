// Associations in the state store: names are unique, updates keep versions, executions come
// newest first, host statuses are replaced per host, and delete removes everything.
#include "store/association_tables.hpp"
#include "temp_dir.hpp"

#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>

using namespace sshm::store;

namespace {

AssociationRow row(const std::string& id, const std::string& name) {
  AssociationRow r;
  r.association_id = id;
  r.association_name = name;
  r.definition = {{"AssociationId", id}, {"AssociationName", name}, {"Name", "AWS-RunShellScript"}};
  r.run_requested = true;
  r.request_reason = "created";
  return r;
}

} // namespace

TEST_CASE("association names are unique; updates add versions; find by id or name") {
  TempDir tmp;
  auto store = Store::open(tmp.path);
  insert_association(*store, row("id-1", "nightly"));
  CHECK_THROWS_WITH_AS(insert_association(*store, row("id-2", "nightly")),
                       "AssociationAlreadyExists: an association named 'nightly' exists", sshm::InputError);
  AssociationRow r = *find_association(*store, "nightly");
  CHECK(r.association_id == "id-1");
  CHECK(r.run_requested);
  r.association_version = 2;
  r.definition["ScheduleExpression"] = "rate(1 day)";
  r.run_requested = false;
  save_association(*store, r, true);
  CHECK(association_versions(*store, "id-1").size() == 2);
  CHECK(find_association(*store, "id-1")->association_version == 2);
  CHECK_FALSE(find_association(*store, "id-1")->run_requested);
  CHECK_FALSE(find_association(*store, "other").has_value());
}

TEST_CASE("executions newest first, targets and host statuses, delete removes all") {
  TempDir tmp;
  auto store = Store::open(tmp.path);
  insert_association(*store, row("id-1", "nightly"));
  AssociationExecutionRow e1{"id-1", 1, "e-1", "Success", "Success", "2026-03-01T00:00:00.000Z", "", {{"Success", 2}}, "c-1", "created"};
  AssociationExecutionRow e2{"id-1", 1, "e-2", "InProgress", "InProgress", "2026-03-01T00:30:00.000Z", "", nlohmann::json::object(), "", "scheduled"};
  save_association_execution(*store, e1);
  save_association_execution(*store, e2);
  auto execs = list_association_executions(*store, "id-1");
  REQUIRE(execs.size() == 2);
  CHECK(execs[0].execution_id == "e-2");
  CHECK(execs[1].resource_count_by_status == nlohmann::json{{"Success", 2}});

  save_association_targets(*store, {{"id-1", 1, "e-1", "web-1", "Pending", "Undeliverable", "t", "c-1"}},
                           {{"id-1", "web-1", "Pending", "Undeliverable", "t"}});
  save_association_targets(*store, {}, {{"id-1", "web-1", "Success", "Success", "t2"}});
  auto hosts = list_association_hosts(*store, "id-1");
  REQUIRE(hosts.size() == 1);
  CHECK(hosts[0].status == "Success");
  CHECK(list_association_execution_targets(*store, "id-1", "e-1")[0].detailed_status == "Undeliverable");

  delete_association(*store, "id-1");
  CHECK(list_associations(*store).empty());
  CHECK(list_association_executions(*store, "id-1").empty());
  CHECK(list_association_hosts(*store, "id-1").empty());
}
