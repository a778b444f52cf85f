#include "plugins/output_capture.hpp"
#include "store/store.hpp"

#include <doctest/doctest.h>
#include <fstream>
#include <sstream>
#include <unistd.h>

using sshm::plugins::OutputCapture;

namespace {

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

} // namespace

TEST_CASE("a resolved secret is masked in the files, the inline head and the live stream alike") {
  char tmpl[] = "/tmp/sshm-capture-XXXXXX";
  REQUIRE(::mkdtemp(tmpl) != nullptr);
  const std::filesystem::path dir = tmpl;
  std::string live;
  {
    OutputCapture capture(
        dir / "stdout", dir / "stderr", [&](bool is_err, std::string_view d) { live += (is_err ? "E:" : "O:") + std::string(d); },
        {"Hunter2!"});
    // The secret arrives split across pieces, as channel reads split it.
    capture.write(false, "pw=Hun");
    capture.write(false, "ter2! ok\n");
    capture.write(true, "Hunter2!");
    CHECK(capture.close());
    CHECK(capture.stdout_head() == "pw=**** ok\n");
    CHECK(capture.stderr_head() == "****");
    CHECK(capture.stdout_bytes() == 11);
  }
  CHECK(read_file(dir / "stdout") == "pw=**** ok\n");
  CHECK(read_file(dir / "stderr") == "****");
  CHECK(live.find("Hunter2") == std::string::npos);
  CHECK(live.find("pw=****") != std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST_CASE("the inline head keeps SSM's characters, not the whole output, and truncates as the whole would") {
  char tmpl[] = "/tmp/sshm-capture-XXXXXX";
  REQUIRE(::mkdtemp(tmpl) != nullptr);
  const std::filesystem::path dir = tmpl;
  // 1 MB of ASCII on stdout; on stderr 3-byte characters, a stray continuation byte and a
  // 4-byte character, in pieces that split the sequences.
  std::string out_full, err_full;
  for (int i = 0; i < 20000; ++i) out_full += "0123456789abcdefghijklmnopqrstuvwxyz0123456789abcd\n";
  for (int i = 0; i < 6000; ++i) err_full += i % 97 == 0 ? "\x80\xF0\x9F\x98\x80" : "\xE2\x82\xAC";
  {
    OutputCapture capture(dir / "stdout", dir / "stderr", nullptr);
    for (size_t i = 0; i < out_full.size(); i += 4093) capture.write(false, std::string_view(out_full).substr(i, 4093));
    for (size_t i = 0; i < err_full.size(); i += 7) capture.write(true, std::string_view(err_full).substr(i, 7));
    CHECK(capture.close());
    CHECK(capture.stdout_head().size() == sshm::plugins::k_stdout_head_chars);
    CHECK(capture.stderr_head().size() < 3 * sshm::plugins::k_stderr_head_chars + 16);
    CHECK(capture.stdout_bytes() == static_cast<long long>(out_full.size()));
    CHECK(sshm::store::truncate_stdout_content(capture.stdout_head()) == sshm::store::truncate_stdout_content(out_full));
    CHECK(sshm::store::truncate_stderr_content(capture.stderr_head()) == sshm::store::truncate_stderr_content(err_full));
    CHECK(sshm::store::plugin_output(capture.stdout_head(), capture.stderr_head()) ==
          sshm::store::plugin_output(out_full, err_full));
  }
  // The files hold every byte.
  CHECK(read_file(dir / "stdout") == out_full);
  CHECK(read_file(dir / "stderr") == err_full);
  std::filesystem::remove_all(dir);
}

TEST_CASE("a short output is its own head") {
  char tmpl[] = "/tmp/sshm-capture-XXXXXX";
  REQUIRE(::mkdtemp(tmpl) != nullptr);
  const std::filesystem::path dir = tmpl;
  {
    OutputCapture capture(dir / "stdout", dir / "stderr", nullptr);
    capture.write(false, "h\xC3");
    capture.write(false, "\xA9llo\n");
    CHECK(capture.close());
    CHECK(capture.stdout_head() == "h\xC3\xA9llo\n");
  }
  std::filesystem::remove_all(dir);
}
