// The remote wrapper, run here by real shells (dash and busybox sh), as a host would.
#include "plugins/executor.hpp"

#include <doctest/doctest.h>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

using namespace sshm;

namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct ShellRun {
  int status = -1;
  std::string out, err;
};

std::string temp_base() {
  return (std::filesystem::temp_directory_path() / ("sshm-wrap-" + std::to_string(::getpid()))).string();
}

ShellRun run_under(const std::string& shell, const std::string& wrapper) {
  std::string base = temp_base();
  std::ofstream(base + ".in") << wrapper;
  std::string cmd = shell + " -s <" + base + ".in >" + base + ".out 2>" + base + ".err";
  int rc = std::system(cmd.c_str());
  ShellRun r;
  r.status = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  r.out = slurp(base + ".out");
  r.err = slurp(base + ".err");
  for (const char* ext : {".in", ".out", ".err"}) std::filesystem::remove(base + ext);
  return r;
}

bool have(const std::string& program) { return std::system(("command -v " + program + " >/dev/null 2>&1").c_str()) == 0; }

} // namespace

TEST_CASE("the wrapper runs the script with SSM's environment and removes its directory") {
  for (std::string shell : {"dash", "busybox sh", "bash"}) {
    if (!have(shell.substr(0, shell.find(' ')))) continue;
    CAPTURE(shell);
    std::string dir = temp_base() + ".d";
    std::string wrapper = plugins::build_wrapper(
        "'" + dir + "'", "echo \"id=$SSM_COMMAND_ID host=$AWS_SSM_INSTANCE_ID\"\necho oops >&2\nexit 7\n", "/",
        {{"SSM_COMMAND_ID", "abc"}, {"AWS_SSM_INSTANCE_ID", "web 1's"}}, 60);
    ShellRun r = run_under(shell, wrapper);
    CHECK(r.status == 7);
    CHECK(r.out == "id=abc host=web 1's\n");
    CHECK(r.err == "oops\n");
    CHECK_FALSE(std::filesystem::exists(dir));
  }
}

TEST_CASE("a script that contains the heredoc word or quotes travels intact") {
  std::string dir = temp_base() + ".d";
  std::string script = "cat <<'EOF'\n$HOME 'x' \"y\" `z`\nEOF\nprintf '%s\\n' 'SSHM_SCRIPT_END_'\n";
  ShellRun r = run_under("dash", plugins::build_wrapper("'" + dir + "'", script, "", {}, 60));
  CHECK(r.status == 0);
  CHECK(r.out == "$HOME 'x' \"y\" `z`\nSSHM_SCRIPT_END_\n");
}

TEST_CASE("a missing working directory fails clearly") {
  std::string dir = temp_base() + ".d";
  ShellRun r = run_under("dash", plugins::build_wrapper("'" + dir + "'", "pwd\n", "/no/such/dir", {}, 60));
  CHECK(r.status == 1);
  CHECK(r.err.find("workingDirectory") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(dir));
}

TEST_CASE("the kill command ends the script's whole process group") {
  std::string dir = temp_base() + ".k";
  // Background children included: they must not survive.
  std::string script = "sleep 3171 & (sleep 3172 &); sleep 3173\n";
  std::string wrapper = plugins::build_wrapper("'" + dir + "'", script, "", {}, 60);
  std::string base = temp_base();
  std::ofstream(base + ".bg") << wrapper;
  pid_t pid = fork();
  if (pid == 0) {
    execl("/bin/sh", "sh", "-c", ("exec dash -s <" + base + ".bg >/dev/null 2>&1").c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  for (int i = 0; i < 100 && !std::filesystem::exists(dir + "/pids"); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  REQUIRE(std::filesystem::exists(dir + "/pids"));
  std::ofstream(base + ".kill") << plugins::build_kill_command("'" + dir + "'");
  CHECK(std::system(("dash -s <" + base + ".kill").c_str()) == 0);
  int st = 0;
  waitpid(pid, &st, 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  CHECK(std::system("pgrep -f 'sleep 317[123]' >/dev/null") != 0);
  CHECK_FALSE(std::filesystem::exists(dir));
  std::filesystem::remove(base + ".bg");
  std::filesystem::remove(base + ".kill");
}
