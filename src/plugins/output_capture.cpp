#include "plugins/output_capture.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include "util/safe_path.hpp"

namespace sshm::plugins {

OutputCapture::OutputCapture(std::filesystem::path stdout_path, std::filesystem::path stderr_path, Listener listener,
                             std::vector<std::string> secrets)
    : m_out(std::move(stdout_path), secrets, false), m_err(std::move(stderr_path), std::move(secrets), true),
      m_listener(std::move(listener)) {}

OutputCapture::~OutputCapture() { close(); }

void OutputCapture::fail(Stream& s, int error) {
  if (s.failed) return;
  s.failed = true;
  s.error = std::strerror(error != 0 ? error : EIO);
  if (s.file) {
    (void)std::fclose(s.file);
    s.file = nullptr;
  }
  std::error_code ec;
  std::filesystem::remove(s.path, ec);
}

void OutputCapture::append(Stream& s, std::string_view data) {
  if (data.empty()) return;
  if (!s.file && !s.failed) {
    std::error_code ec;
    // Outputs may hold secrets: directories 0700, files 0600.
    create_private_dirs(s.path.parent_path(), ec);
    errno = 0;
    s.file = open_private_file(s.path);
    if (!s.file) fail(s, ec ? ec.value() : errno);
  }
  if (s.file) {
    errno = 0;
    if (std::fwrite(data.data(), 1, data.size(), s.file) != data.size()) fail(s, errno);
  }
  append_head(s, data);
  s.bytes += static_cast<long long>(data.size());
}

void OutputCapture::append_head(Stream& s, std::string_view data) {
  const size_t limit = s.is_stderr ? k_stderr_head_chars : k_stdout_head_chars;
  // Every character, valid or not, holds at most one byte that is not a continuation byte
  // (10xxxxxx), so counting those never counts more characters than SSM's truncation does.
  size_t i = 0;
  for (; i < data.size() && s.head_chars < limit; ++i)
    if ((static_cast<unsigned char>(data[i]) & 0xC0) != 0x80) ++s.head_chars;
  s.head.append(data.substr(0, i));
}

void OutputCapture::pass_on(Stream& s, std::string_view data) {
  if (data.empty()) return;
  append(s, data);
  if (m_listener) m_listener(s.is_stderr, data);
}

void OutputCapture::write(bool is_stderr, std::string_view data) {
  Stream& s = is_stderr ? m_err : m_out;
  pass_on(s, s.mask.feed(data));
}

bool OutputCapture::close() {
  for (Stream* s : {&m_out, &m_err}) pass_on(*s, s->mask.finish());
  for (Stream* s : {&m_out, &m_err}) {
    if (!s->file) continue;
    errno = 0;
    if (std::fflush(s->file) != 0) {
      fail(*s, errno);
      continue;
    }
    errno = 0;
    int rc = std::fclose(s->file);
    s->file = nullptr;
    if (rc != 0) fail(*s, errno);
  }
  return !m_out.failed && !m_err.failed;
}

std::string OutputCapture::loss_message() const {
  std::string out;
  for (const Stream* s : {&m_out, &m_err}) {
    if (!s->failed) continue;
    if (!out.empty()) out += "\n";
    out += fmt::format("the full {} ({} bytes) could not be written to {}: {}", s == &m_out ? "stdout" : "stderr",
                       s->bytes, s->path.string(), s->error);
  }
  return out;
}

} // namespace sshm::plugins
