#pragma once
// Small string helpers used across folders.
#include <string>
#include <string_view>
#include <vector>

namespace sshm {

std::vector<std::string> split(std::string_view s, char sep);
std::string join(const std::vector<std::string>& parts, std::string_view sep);
std::string trim(std::string_view s);
bool starts_with(std::string_view s, std::string_view prefix);
bool ends_with(std::string_view s, std::string_view suffix);
std::string to_lower(std::string_view s);
// Shell glob match with * ? and [...] classes, as fnmatch(3) without flags.
bool glob_match(std::string_view pattern, std::string_view text);
bool has_glob(std::string_view s);
// Quote for a POSIX shell: 'it'\''s'.
std::string shell_quote(std::string_view s);

} // namespace sshm
