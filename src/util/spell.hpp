#pragma once
// "Did you mean" suggestions for mistyped names.
#include <string>
#include <string_view>
#include <vector>

namespace sshm {

// Edit distance between two strings (insertions, deletions, substitutions, swaps).
int edit_distance(std::string_view a, std::string_view b);

// The candidate closest to `word`, or "" when none is close enough to be a typo.
std::string closest_match(std::string_view word, const std::vector<std::string>& candidates);

} // namespace sshm
