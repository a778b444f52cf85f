#pragma once
// A session's transcript: every byte both ways with its time, so a session can be replayed
// at its own pace. One file per session, 0600, under <state-dir>/sessions/.
//
// Format (binary-safe, append-only): the line "sshm-transcript 1", then one record per
// piece: "<ms since start> <kind> <length>\n", the bytes, "\n". Kinds: 'o' output from the
// host, 'i' input the host echoed (see EchoGate), 'm' a note from sshm (warnings, the end).
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace sshm::session {

struct TranscriptRecord {
  long long ms = 0;
  char kind = 'o';
  std::string data;
};

class TranscriptWriter {
public:
  // Creates the file (0600, parents 0700). Throws RuntimeError when it cannot.
  explicit TranscriptWriter(const std::filesystem::path& path);
  ~TranscriptWriter();
  TranscriptWriter(const TranscriptWriter&) = delete;
  TranscriptWriter& operator=(const TranscriptWriter&) = delete;

  void output(std::string_view bytes) { record('o', bytes); }
  void input(std::string_view bytes) { record('i', bytes); }
  void note(std::string_view text) { record('m', text); }
  // Appends one record stamped with the time since the writer was made; empty ones are skipped.
  void record(char kind, std::string_view bytes);
  void flush();

private:
  std::FILE* m_file = nullptr;
  std::chrono::steady_clock::time_point m_start;
};

// The records of a transcript file. Throws InputError (with the file and byte offset) when
// it is not one, RuntimeError when it cannot be read.
std::vector<TranscriptRecord> read_transcript(const std::filesystem::path& path);
// The same from the bytes of one; `name` names it in errors.
std::vector<TranscriptRecord> parse_transcript(std::string_view bytes, const std::string& name);

// What the host sent, in order: the session log SSM uploads to S3.
std::string output_text(const std::vector<TranscriptRecord>& records);

} // namespace sshm::session
