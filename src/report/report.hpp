#pragma once
// `sshm report`: one self-contained page (HTML or Markdown) about the fleet, built from the
// state store only: Fleet, Patch compliance, Associations and windows, Run Command and
// Inventory package versions. collect() gathers the data once, as JSON with stable keys
// (what `-o json` prints); each renderer draws the page from that JSON alone, so the page
// and the data can never disagree.
#include "store/store.hpp"

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace sshm::report {

// What a report covers.
struct Scope {
  std::string since;         // ISO 8601 start of the period
  std::string generated_at;  // ISO 8601, the end of the period
  std::vector<std::string> targets;  // the -t expressions as given, for the header
  // The hosts reported on, by name, with their inventory tags.
  std::map<std::string, std::map<std::string, std::string>> hosts;
  // Without -t: hosts the store knows (patch, inventory, runs) join the inventory's.
  bool add_store_hosts = false;
  std::vector<std::string> packages;  // --package names for the version spread
};

// How many rows a list keeps (the JSON says how many there were in all).
constexpr size_t k_list_rows = 25;
// The heat map: the most recent commands, and at most this many hosts (problems first).
constexpr size_t k_heat_commands = 12;
constexpr size_t k_heat_hosts = 40;
// Commands of the period read at most.
constexpr int k_max_commands = 200;

// The data behind the report, in the shape `sshm report -o json` prints.
nlohmann::json collect(store::Store& store, Scope scope);

// The sections, each from the store (collect.cpp, collect_patch.cpp, collect_runs.cpp).
nlohmann::json collect_fleet(store::Store& store, const Scope& scope);
nlohmann::json collect_patch(store::Store& store, const Scope& scope);
nlohmann::json collect_associations(store::Store& store, const Scope& scope);
nlohmann::json collect_runs(store::Store& store, const Scope& scope);
nlohmann::json collect_packages(store::Store& store, const Scope& scope);

// The page, from collect()'s data: one HTML file with inline CSS, inline SVG charts and a
// few lines of optional script for sorting tables; every value escaped.
std::string render_html(const nlohmann::json& data);
// The same as Markdown (GitHub flavour tables), every value escaped.
std::string render_markdown(const nlohmann::json& data);

// [{"Value": v, "Count": n}] from a count map, by count (descending) then value.
nlohmann::json counts_json(const std::map<std::string, int>& counts, const char* key = "Value");

} // namespace sshm::report
