#include "plugins/output_capture.hpp"

#include "util/safe_path.hpp"

namespace sshm::plugins {

OutputCapture::OutputCapture(std::filesystem::path stdout_path, std::filesystem::path stderr_path, Listener listener)
    : m_listener(std::move(listener)) {
  m_out.path = std::move(stdout_path);
  m_err.path = std::move(stderr_path);
}

OutputCapture::~OutputCapture() { close(); }

void OutputCapture::append(Stream& s, std::string_view data) {
  if (data.empty()) return;
  if (!s.file && !s.failed) {
    std::error_code ec;
    // Outputs may hold secrets: directories 0700, files 0600.
    create_private_dirs(s.path.parent_path(), ec);
    s.file = open_private_file(s.path);
    if (!s.file) s.failed = true;
  }
  if (s.file && std::fwrite(data.data(), 1, data.size(), s.file) != data.size()) s.failed = true;
  if (s.head.size() < k_head_bytes) s.head.append(data.substr(0, k_head_bytes - s.head.size()));
  s.bytes += static_cast<long long>(data.size());
}

void OutputCapture::write(bool is_stderr, std::string_view data) {
  append(is_stderr ? m_err : m_out, data);
  if (m_listener) m_listener(is_stderr, data);
}

bool OutputCapture::close() {
  for (Stream* s : {&m_out, &m_err}) {
    if (s->file) {
      if (std::fclose(s->file) != 0) s->failed = true;
      s->file = nullptr;
    }
  }
  return !m_out.failed && !m_err.failed;
}

} // namespace sshm::plugins
