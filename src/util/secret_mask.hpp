#pragma once
// Resolved secret values ({{ssm-secure:}}) masked in what a host prints: every exact
// occurrence becomes "****" before the bytes reach a file, the store, a sink or the
// terminal. Best effort by nature: a host that transforms the value (base64, reversed,
// one character a line) is not caught.
#include <string>
#include <string_view>
#include <vector>

namespace sshm {

constexpr std::string_view k_secret_mask = "****";

// `text` with every occurrence of each secret replaced by the mask (longest secret first,
// so a secret that contains another is masked whole).
std::string mask_secrets(std::string_view text, const std::vector<std::string>& secrets);

// The same over a stream that arrives in pieces: a secret split between two pieces is
// still masked. feed() returns what is safe to pass on now and holds back at most the
// longest secret's length minus one byte (a possible start of a secret); finish()
// returns the rest. With no secrets every piece passes through unchanged and at once.
class SecretMaskStream {
public:
  explicit SecretMaskStream(std::vector<std::string> secrets);
  std::string feed(std::string_view piece);
  std::string finish();

private:
  std::vector<std::string> m_secrets;  // non-empty ones, longest first
  size_t m_hold = 0;                   // longest secret's length - 1
  std::string m_pending;
};

} // namespace sshm
