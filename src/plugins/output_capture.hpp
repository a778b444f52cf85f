#pragma once
// Captures one step's stdout and stderr as they stream: full copies to files (created only
// when the first byte arrives, so empty outputs leave no file), a bounded head for SSM's
// inline content (StandardOutputContent 24,000 characters, StandardErrorContent 8,000: the
// head keeps just enough characters for those, so a chatty host costs tens of KB of memory
// while it runs, whatever it prints), and a callback for live display and streaming sinks. Resolved secret
// values ({{ssm-secure:}}) are masked before the bytes reach any of them.
#include "util/secret_mask.hpp"

#include <cstdio>
#include <filesystem>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace sshm::plugins {

class OutputCapture {
public:
  using Listener = std::function<void(bool is_stderr, std::string_view data)>;

  OutputCapture(std::filesystem::path stdout_path, std::filesystem::path stderr_path, Listener listener,
                std::vector<std::string> secrets = {});
  ~OutputCapture();
  OutputCapture(const OutputCapture&) = delete;
  OutputCapture& operator=(const OutputCapture&) = delete;

  void write(bool is_stderr, std::string_view data);
  // Passes on what the masking held back, flushes and closes the files; returns false when
  // a write failed (disk full).
  bool close();
  // Whether a stream's full copy could not be written (create, write, flush or close failed).
  // Its partial file is removed at once, so a full disk keeps room for the history; the
  // bounded head and the byte counts are kept.
  bool lost() const { return m_out.failed || m_err.failed; }
  // What was lost, for the user: "the full stdout (151512 bytes) could not be written to
  // PATH: No space left on device", one line per stream; "" when nothing was.
  std::string loss_message() const;

  // The start of each stream: at least k_stdout_head_chars / k_stderr_head_chars characters
  // (the whole stream when shorter), enough for SSM's 24000/8000-char inline copies.
  const std::string& stdout_head() const { return m_out.head; }
  const std::string& stderr_head() const { return m_err.head; }
  long long stdout_bytes() const { return m_out.bytes; }
  long long stderr_bytes() const { return m_err.bytes; }
  // Paths of the files, "" when the stream was empty or its copy was lost.
  std::string stdout_file() const { return m_out.bytes && !m_out.failed ? m_out.path.string() : std::string(); }
  std::string stderr_file() const { return m_err.bytes && !m_err.failed ? m_err.path.string() : std::string(); }
  // Forgets stderr for the inline copies (SSM clears it on exit 168).
  void drop_stderr_head() { m_err.head.clear(); }

private:
  struct Stream {
    Stream(std::filesystem::path p, std::vector<std::string> secrets, bool err)
        : path(std::move(p)), mask(std::move(secrets)), is_stderr(err) {}
    std::filesystem::path path;
    std::FILE* file = nullptr;
    std::string head;
    size_t head_chars = 0;  // UTF-8 lead bytes in head: a lower bound of its characters
    long long bytes = 0;
    bool failed = false;
    std::string error;  // strerror of the first failure
    SecretMaskStream mask;
    bool is_stderr = false;
  };
  // Masks, then writes to the file, the head and the listener.
  void pass_on(Stream& s, std::string_view data);
  void append(Stream& s, std::string_view data);
  static void append_head(Stream& s, std::string_view data);
  // Records the failure (errno), closes and removes the partial file.
  static void fail(Stream& s, int error);

  Stream m_out, m_err;
  Listener m_listener;
};

// Characters kept in memory per stream: SSM's inline limits (StandardOutputContent 24000,
// StandardErrorContent 8000) and a few more, so that the first `limit` characters of the head
// are the stream's own (a UTF-8 sequence cut at the end of the head lies past them) and a
// head longer than the limit says the stream is too.
constexpr size_t k_stdout_head_chars = 24000 + 8;
constexpr size_t k_stderr_head_chars = 8000 + 8;
// Bytes the inline output of an invocation may hold: 24000 characters of up to 4 UTF-8
// bytes each, plus slack.
constexpr size_t k_head_bytes = 24000 * 4 + 16;

} // namespace sshm::plugins
