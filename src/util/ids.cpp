#include "util/ids.hpp"

#include "util/error.hpp"

#include <fmt/format.h>
#include <openssl/rand.h>
#include <vector>

namespace sshm {

static std::vector<unsigned char> random_bytes(size_t n) {
  std::vector<unsigned char> buf(n);
  if (RAND_bytes(buf.data(), static_cast<int>(n)) != 1) throw RuntimeError("the system random generator failed");
  return buf;
}

std::string random_hex(size_t bytes) {
  std::string out;
  for (unsigned char b : random_bytes(bytes)) out += fmt::format("{:02x}", b);
  return out;
}

std::string new_uuid() {
  auto b = random_bytes(16);
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);
  std::string hex;
  for (unsigned char c : b) hex += fmt::format("{:02x}", c);
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" + hex.substr(16, 4) + "-" +
         hex.substr(20);
}

} // namespace sshm
