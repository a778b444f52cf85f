#pragma once
// Small string helpers used across folders.
#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

namespace sshm {

std::vector<std::string> split(std::string_view s, char sep);
std::string join(const std::vector<std::string>& parts, std::string_view sep);
std::string trim(std::string_view s);
// Everything left in the stream.
std::string read_all(std::istream& in);
bool starts_with(std::string_view s, std::string_view prefix);
bool ends_with(std::string_view s, std::string_view suffix);
std::string to_lower(std::string_view s);
// Shell glob match with * ? and [...] classes, as fnmatch(3) without flags.
bool glob_match(std::string_view pattern, std::string_view text);
bool has_glob(std::string_view s);
// Quote for a POSIX shell: 'it'\''s'.
std::string shell_quote(std::string_view s);
// Appends a Unicode code point (at most 0x10FFFF) as UTF-8.
void append_utf8(std::string& out, unsigned code_point);
// The value of a hexadecimal digit (either case), -1 for any other character.
int hex_digit(char c);

} // namespace sshm
