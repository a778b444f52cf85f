#pragma once
// The text of a session's log, as S3 (<s3KeyPrefix>/<SessionId>.log) and CloudWatch Logs get
// it: what the host printed, as the lines a reader saw, with nothing left that a terminal
// would act on. Carriage returns, backspaces and the line-editing sequences shells use
// (erase in line, cursor left/right, delete and insert characters) are applied to the line
// they edit, so a line retyped or corrected reads as it ended up on the screen; every other
// escape sequence (colours, OSC titles, the clipboard, DCS strings, queries), the other
// control characters and C1 controls are dropped; bytes that are not UTF-8 become U+FFFD.
// Tabs stay; trailing blanks are cut.
#include <string>
#include <string_view>
#include <vector>

namespace sshm::session {

class LogText {
public:
  // Lines longer than this are cut into several (a line that never ends must not grow
  // without bound).
  static constexpr size_t k_max_line = 64 * 1024;

  // Appends the lines `bytes` completed; sequences split between calls are judged whole.
  void feed(std::string_view bytes, std::vector<std::string>& lines);
  // Appends the unfinished last line, if it holds anything.
  void finish(std::vector<std::string>& lines);

private:
  enum class State { text, esc, esc_intermediate, csi, string, string_esc };
  void on_char(char32_t c, std::vector<std::string>& lines);
  void on_csi(char final_byte);
  void put(char32_t c);
  void end_line(std::vector<std::string>& lines);
  void utf8_byte(unsigned char b, std::vector<std::string>& lines);

  State m_state = State::text;
  std::string m_params;  // the CSI sequence's parameter bytes
  std::u32string m_line;
  size_t m_cursor = 0;
  char32_t m_utf8 = 0;  // the character being decoded
  int m_utf8_left = 0;  // continuation bytes still expected
  char32_t m_utf8_min = 0;
};

// All of `output` as log text: its lines, each ended by "\n".
std::string log_text(std::string_view output);

} // namespace sshm::session
