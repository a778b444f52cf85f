#include "util/spell.hpp"

#include <algorithm>
#include <cctype>

namespace sshm {

int edit_distance(std::string_view a, std::string_view b) {
  // Optimal string alignment distance, case-insensitive, O(|a|·|b|).
  const size_t n = a.size(), m = b.size();
  std::vector<std::vector<int>> d(n + 1, std::vector<int>(m + 1));
  for (size_t i = 0; i <= n; ++i) d[i][0] = static_cast<int>(i);
  for (size_t j = 0; j <= m; ++j) d[0][j] = static_cast<int>(j);
  auto eq = [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
  };
  for (size_t i = 1; i <= n; ++i) {
    for (size_t j = 1; j <= m; ++j) {
      int cost = eq(a[i - 1], b[j - 1]) ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && eq(a[i - 1], b[j - 2]) && eq(a[i - 2], b[j - 1]))
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[n][m];
}

std::string closest_match(std::string_view word, const std::vector<std::string>& candidates) {
  // Like ninja's spellcheck: allow about one edit per three characters, at least two
  // (so web-1 finds web-001), never as many as the word has characters.
  const int max_distance =
      std::min<int>(std::max<int>(2, static_cast<int>(word.size()) / 3), std::max<int>(1, static_cast<int>(word.size()) - 1));
  std::string best;
  int best_distance = max_distance + 1;
  for (const auto& c : candidates) {
    int dist = edit_distance(word, c);
    if (dist < best_distance) {
      best_distance = dist;
      best = c;
    }
  }
  return best;
}

} // namespace sshm
