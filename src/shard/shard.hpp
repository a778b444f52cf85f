#pragma once
// One logical command split over several controllers (Kubernetes Indexed Job pods): which
// hosts a shard runs (a stable hash of the host name), its share of MaxErrors, and the
// command identity every shard must agree on.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace sshm::shard {

// Shard `index` (1-based, 1 <= index <= count) of `count`.
struct ShardSpec {
  int index = 1;
  int count = 1;
};

// "I/N" with 1 <= I <= N (--shard). Throws InputError otherwise.
ShardSpec parse_shard(const std::string& text);
// --shard-from-env: JOB_COMPLETION_INDEX (0-based, as Kubernetes sets it) is shard index+1
// of SSHM_SHARDS. `getenv` looks a variable up ("" when unset). Throws InputError when either
// is missing or out of range.
ShardSpec shard_from_env(const std::function<std::string(const std::string&)>& getenv);

// FNV-1a (64-bit) of the host name's bytes.
std::uint64_t fnv1a(const std::string& text);
// The shard (1-based) a host belongs to among `count`: fnv1a(name) mod count, plus 1. The
// same name always lands in the same shard, whatever else the inventory holds.
int shard_of(const std::string& host, int count);

// MaxErrors for one shard of `shard_size` hosts out of `total`: a percentage stays a
// percentage (SSM's rule, of the shard's size); a count N becomes floor(N * shard_size / total).
std::string error_share(const std::string& max_errors, int shard_size, int total);

// Whether `id` is a UUID in SSM's CommandId form (8-4-4-4-12 hex digits). Throws InputError
// naming --command-id otherwise; returns the ID in lower case.
std::string validate_command_id(const std::string& id);

} // namespace sshm::shard
