#include "util/secret_mask.hpp"

#include <algorithm>

namespace sshm {

namespace {

std::vector<std::string> longest_first(std::vector<std::string> secrets) {
  std::erase_if(secrets, [](const std::string& s) { return s.empty(); });
  std::sort(secrets.begin(), secrets.end(), [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  secrets.erase(std::unique(secrets.begin(), secrets.end()), secrets.end());
  return secrets;
}

// Masks `text` from the left; stops before `limit` when the text from there on could still
// be the start of a secret that continues in the next piece. Returns the masked part and
// leaves in `rest` what was not consumed.
std::string mask_prefix(std::string_view text, const std::vector<std::string>& secrets, size_t keep_back,
                        std::string& rest) {
  std::string out;
  size_t i = 0;
  const size_t end = text.size() > keep_back ? text.size() - keep_back : 0;
  while (i < end) {
    bool matched = false;
    for (const auto& s : secrets) {
      if (text.compare(i, s.size(), s) == 0) {
        out += k_secret_mask;
        i += s.size();
        matched = true;
        break;
      }
    }
    if (!matched) out += text[i++];
  }
  rest.assign(text.substr(i));
  return out;
}

} // namespace

std::string mask_secrets(std::string_view text, const std::vector<std::string>& secrets) {
  std::vector<std::string> ordered = longest_first(secrets);
  if (ordered.empty()) return std::string(text);
  std::string rest;
  return mask_prefix(text, ordered, 0, rest);
}

SecretMaskStream::SecretMaskStream(std::vector<std::string> secrets) : m_secrets(longest_first(std::move(secrets))) {
  if (!m_secrets.empty()) m_hold = m_secrets.front().size() - 1;
}

std::string SecretMaskStream::feed(std::string_view piece) {
  if (m_secrets.empty()) return std::string(piece);
  m_pending.append(piece);
  std::string rest;
  // A match may start anywhere before the held-back tail and run into it: masking stops only
  // where no secret could begin and still be complete.
  std::string out = mask_prefix(m_pending, m_secrets, m_hold, rest);
  m_pending = std::move(rest);
  return out;
}

std::string SecretMaskStream::finish() {
  std::string rest;
  std::string out = mask_prefix(m_pending, m_secrets, 0, rest);
  m_pending.clear();
  return out;
}

} // namespace sshm
