#include "plugins/output_capture.hpp"

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
