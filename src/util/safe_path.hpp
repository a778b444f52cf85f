#pragma once
// Turning names from user files (host names, step names) into path components that stay
// below their root, and creating output files only their owner can read.
#include <cstdio>
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>

namespace sshm {

// `name` as one path component that cannot leave its directory: '%', '/', '\\' and control
// characters become %XX; "." and ".." become "%2E" and "%2E%2E"; "" becomes "%". A name
// without those characters is returned unchanged.
std::string path_component(std::string_view name);

// Why `name` cannot name a host or other file-system-bound thing ("" when it can): it is
// empty, "." or "..", or holds '/' or a control character (NUL included).
std::string name_problem(std::string_view name);
// `name` for a message: control characters as \xNN, cut to 80 bytes.
std::string printable_name(std::string_view name);

// Whether `path`, made lexically normal, lies under `root` (also made normal).
bool is_within(const std::filesystem::path& root, const std::filesystem::path& path);

// Creates `dir` and its missing parents with mode 0700 (existing ones are left as they are).
void create_private_dirs(const std::filesystem::path& dir, std::error_code& ec);

// Opens `path` for writing, truncated, mode 0600, refusing to follow a symlink at `path`;
// nullptr on failure (errno set).
std::FILE* open_private_file(const std::filesystem::path& path);

// Creates `path` empty with mode 0600 when it does not exist, and never opens an existing file:
// an SQLite database gets its mode this way before SQLite opens it. Opening and closing a file
// this process already has open through SQLite would drop SQLite's POSIX locks on it (any
// close() releases them all), and another process could then checkpoint or rewrite the WAL
// under a live connection ("How To Corrupt An SQLite Database File", section 2.2).
// Throws RuntimeError when it cannot be created.
void create_private_file_if_missing(const std::filesystem::path& path);

} // namespace sshm
