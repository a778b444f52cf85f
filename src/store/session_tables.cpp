// The SQL of sessions: one row each, written whole.
#include "store/session_tables.hpp"

#include "store/sql.hpp"
#include "util/error.hpp"
#include "util/safe_path.hpp"
#include "util/strings.hpp"

#include <fmt/format.h>

namespace sshm::store {

namespace {

constexpr const char* k_columns =
    "session_id, target, owner, document_name, status, reason, start_date, end_date, run_as, transcript, "
    "controller, details";

SessionRecord read_row(Statement& s) {
  SessionRecord r;
  r.session_id = s.text(0);
  r.target = s.text(1);
  r.owner = s.text(2);
  r.document_name = s.text(3);
  r.status = s.text(4);
  r.reason = s.text(5);
  r.start_date = s.text(6);
  r.end_date = s.text(7);
  r.run_as = s.text(8);
  r.transcript = s.text(9);
  r.controller = json_of(s.text(10));
  r.details = json_of(s.text(11));
  return r;
}

} // namespace

void save_session(Store& store, const SessionRecord& r) {
  with_transaction(store, Access::write, [&](Transaction& tx) {
    Statement ins(tx, fmt::format("INSERT OR REPLACE INTO sessions ({}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, "
                                  "?9, ?10, ?11, ?12)",
                                  k_columns));
    ins.bind(1, r.session_id).bind(2, r.target).bind(3, r.owner).bind(4, r.document_name).bind(5, r.status);
    ins.bind(6, r.reason).bind(7, r.start_date).bind(8, r.end_date).bind(9, r.run_as).bind(10, r.transcript);
    ins.bind(11, json_text(r.controller)).bind(12, json_text(r.details));
    ins.run();
  });
}

std::vector<SessionRecord> list_sessions(const Store& store, const std::string& status, int limit) {
  return with_transaction(store, Access::read, [&](Transaction& tx) {
    Statement s(tx, fmt::format("SELECT {} FROM sessions WHERE (?1 = '' OR status = ?1) ORDER BY start_date DESC, "
                                "session_id LIMIT ?2",
                                k_columns));
    s.bind(1, status).bind(2, static_cast<long long>(limit > 0 ? limit : -1));
    std::vector<SessionRecord> out;
    while (s.step()) out.push_back(read_row(s));
    return out;
  });
}

SessionRecord get_session(const Store& store, const std::string& id_or_prefix) {
  std::vector<SessionRecord> all = list_sessions(store);
  std::vector<SessionRecord> hits;
  for (auto& r : all) {
    if (r.session_id == id_or_prefix) return r;
    if (!id_or_prefix.empty() && starts_with(r.session_id, id_or_prefix)) hits.push_back(r);
  }
  if (hits.size() == 1) return hits.front();
  if (hits.empty())
    throw InputError(fmt::format("no session '{}' in the history (see `sshm sessions list`)",
                                 printable_name(id_or_prefix)));
  std::vector<std::string> ids;
  for (const auto& r : hits) ids.push_back(r.session_id);
  throw InputError(fmt::format("'{}' matches several sessions: {}", printable_name(id_or_prefix), join(ids, ", ")));
}

} // namespace sshm::store
