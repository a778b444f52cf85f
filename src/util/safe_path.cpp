#include "util/safe_path.hpp"

#include "util/error.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

namespace sshm {

std::string path_component(std::string_view name) {
  if (name.empty()) return "%";
  if (name == ".") return "%2E";
  if (name == "..") return "%2E%2E";
  std::string out;
  out.reserve(name.size());
  for (char c : name) {
    auto u = static_cast<unsigned char>(c);
    if (c == '%' || c == '/' || c == '\\' || u < 0x20 || u == 0x7f) out += fmt::format("%{:02X}", u);
    else out += c;
  }
  return out;
}

std::string name_problem(std::string_view name) {
  if (name.empty()) return "it is empty";
  if (name == "." || name == "..") return "it may not be '.' or '..'";
  for (char c : name) {
    auto u = static_cast<unsigned char>(c);
    if (c == '/') return "it may not contain '/'";
    if (u < 0x20 || u == 0x7f) return "it may not contain control characters";
  }
  return {};
}

std::string printable_name(std::string_view name) {
  std::string out;
  for (char c : name.substr(0, 80)) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) out += fmt::format("\\x{:02x}", u);
    else out += c;
  }
  if (name.size() > 80) out += "...";
  return out;
}

bool is_within(const std::filesystem::path& root, const std::filesystem::path& path) {
  std::filesystem::path rel = path.lexically_normal().lexically_relative(root.lexically_normal());
  if (rel.empty() || rel == ".") return false;  // the root itself is not within it
  auto first = rel.begin();
  return *first != ".." && !rel.is_absolute();
}

void create_private_dirs(const std::filesystem::path& dir, std::error_code& ec) {
  bool exists = !dir.empty() && std::filesystem::is_directory(dir, ec);
  ec.clear();
  if (dir.empty() || exists) return;
  create_private_dirs(dir.parent_path() == dir ? std::filesystem::path() : dir.parent_path(), ec);
  if (ec) return;
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) ec = std::error_code(errno, std::generic_category());
}

std::FILE* open_private_file(const std::filesystem::path& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return nullptr;
  if (::fchmod(fd, 0600) != 0) {
    ::close(fd);
    return nullptr;
  }
  std::FILE* f = ::fdopen(fd, "wb");
  if (!f) ::close(fd);
  return f;
}

void create_private_file_if_missing(const std::filesystem::path& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd >= 0) {
    ::close(fd);  // a file made just now: no SQLite connection can hold a lock on it yet
    return;
  }
  if (errno == EEXIST) return;
  throw RuntimeError(fmt::format("cannot create '{}': {}", path.string(), std::strerror(errno)));
}

} // namespace sshm
