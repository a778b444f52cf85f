#include "session/transcript.hpp"

#include "util/error.hpp"
#include "util/safe_path.hpp"

#include <cerrno>
#include <cstring>
#include <fmt/format.h>
#include <fstream>
#include <iterator>

namespace sshm::session {

namespace {

constexpr std::string_view k_magic = "sshm-transcript 1\n";
// A record longer than this is not one sshm wrote.
constexpr size_t k_max_record = 64 * 1024 * 1024;

[[noreturn]] void malformed(const std::string& name, size_t offset, const std::string& what) {
  throw InputError(fmt::format("{}: byte {}: not an sshm transcript: {}", name, offset, what));
}

// Parses a decimal number ending at `stop`; advances `pos` past the stop byte.
unsigned long long number(std::string_view bytes, size_t& pos, char stop, const std::string& name) {
  size_t start = pos;
  unsigned long long v = 0;
  while (pos < bytes.size() && bytes[pos] >= '0' && bytes[pos] <= '9' && pos - start < 15)
    v = v * 10 + static_cast<unsigned>(bytes[pos++] - '0');
  if (pos == start || pos >= bytes.size() || bytes[pos] != stop) malformed(name, start, "expected a number");
  ++pos;
  return v;
}

} // namespace

TranscriptWriter::TranscriptWriter(const std::filesystem::path& path) : m_start(std::chrono::steady_clock::now()) {
  std::error_code ec;
  create_private_dirs(path.parent_path(), ec);
  if (ec) throw RuntimeError(fmt::format("cannot create {}: {}", path.parent_path().string(), ec.message()));
  m_file = open_private_file(path);
  if (!m_file) throw RuntimeError(fmt::format("cannot create {}: {}", path.string(), std::strerror(errno)));
  std::fwrite(k_magic.data(), 1, k_magic.size(), m_file);
  std::fflush(m_file);
}

TranscriptWriter::~TranscriptWriter() {
  if (m_file) std::fclose(m_file);
}

void TranscriptWriter::record(char kind, std::string_view bytes) {
  if (bytes.empty() || !m_file) return;
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - m_start);
  std::string head = fmt::format("{} {} {}\n", ms.count(), kind, bytes.size());
  std::fwrite(head.data(), 1, head.size(), m_file);
  std::fwrite(bytes.data(), 1, bytes.size(), m_file);
  std::fputc('\n', m_file);
  // Flushed per record: a controller killed mid-session leaves everything up to that point.
  std::fflush(m_file);
}

void TranscriptWriter::flush() {
  if (m_file) std::fflush(m_file);
}

std::vector<TranscriptRecord> parse_transcript(std::string_view bytes, const std::string& name) {
  if (bytes.substr(0, k_magic.size()) != k_magic) malformed(name, 0, "no 'sshm-transcript 1' header");
  std::vector<TranscriptRecord> out;
  size_t pos = k_magic.size();
  while (pos < bytes.size()) {
    TranscriptRecord r;
    r.ms = static_cast<long long>(number(bytes, pos, ' ', name));
    if (pos + 1 >= bytes.size() || bytes[pos + 1] != ' ') malformed(name, pos, "expected a record kind");
    r.kind = bytes[pos];
    if (r.kind != 'o' && r.kind != 'i' && r.kind != 'm') malformed(name, pos, "unknown record kind");
    pos += 2;
    size_t length = number(bytes, pos, '\n', name);
    if (length > k_max_record || length + 1 > bytes.size() - pos) malformed(name, pos, "record cut short");
    r.data.assign(bytes.substr(pos, length));
    pos += length;
    if (bytes[pos] != '\n') malformed(name, pos, "record not ended by a newline");
    ++pos;
    out.push_back(std::move(r));
  }
  return out;
}

std::vector<TranscriptRecord> read_transcript(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw RuntimeError(fmt::format("cannot read {}: {}", path.string(), std::strerror(errno)));
  std::string bytes((std::istreambuf_iterator<char>(in)), {});
  return parse_transcript(bytes, path.string());
}

std::string output_text(const std::vector<TranscriptRecord>& records) {
  std::string text;
  for (const auto& r : records)
    if (r.kind == 'o') text += r.data;
  return text;
}

} // namespace sshm::session
