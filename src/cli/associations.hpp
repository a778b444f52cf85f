#pragma once
// What `sshm associations` and the tick share: an association's definition as JSON (the
// field names of SSM's CreateAssociation) and the tick part that runs what is due.
#include "cli/tick.hpp"
#include "schedule/association.hpp"

#include <nlohmann/json.hpp>
#include <string>

namespace sshm::store {
struct AssociationRow;
}

namespace sshm::cli {

// The definition as stored and as `apply -f` files write it: SSM's field names, Targets as
// sshm's -t expressions. Throws InputError for a field of the wrong type.
nlohmann::json association_to_definition(const schedule::Association& a);
schedule::Association association_from_definition(const nlohmann::json& definition);

// AssociationDescription (DescribeAssociation's shape) of a stored association.
nlohmann::json association_description_json(const store::Store& store, const store::AssociationRow& row);

// The tick part: runs every association that is due now (created, edited, started once,
// scheduled, Parameter Store values changed, hosts Pending or new to the targets).
int tick_associations(const TickContext& ctx);

} // namespace sshm::cli
