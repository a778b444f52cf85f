// The remote wrapper, run here by real shells (dash and busybox sh), as a host would.
#include "plugins/executor.hpp"

#include <doctest/doctest.h>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <csignal>
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
        "'" + dir + "'", "run1", "echo \"id=$SSM_COMMAND_ID host=$AWS_SSM_INSTANCE_ID\"\necho oops >&2\nexit 7\n", "/",
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
  ShellRun r = run_under("dash", plugins::build_wrapper("'" + dir + "'", "run1", script, "", {}, 60));
  CHECK(r.status == 0);
  CHECK(r.out == "$HOME 'x' \"y\" `z`\nSSHM_SCRIPT_END_\n");
}

TEST_CASE("a missing working directory fails clearly") {
  std::string dir = temp_base() + ".d";
  ShellRun r = run_under("dash", plugins::build_wrapper("'" + dir + "'", "run1", "pwd\n", "/no/such/dir", {}, 60));
  CHECK(r.status == 1);
  CHECK(r.err.find("workingDirectory") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(dir));
}

namespace {

// Runs `wrapper` (saved to `file`) under dash in the background, as sshd would, and waits
// until a process matching `ready` (a pgrep -f pattern) runs. Returns the shell's pid.
pid_t start_wrapper(const std::string& wrapper, const std::string& file, const std::string& ready) {
  std::ofstream(file) << wrapper;
  pid_t pid = fork();
  if (pid == 0) {
    execl("/bin/sh", "sh", "-c", ("exec dash -s <" + file + " >/dev/null 2>&1").c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  std::string probe = "pgrep -f '" + ready + "' >/dev/null";
  for (int i = 0; i < 200 && std::system(probe.c_str()) != 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  return pid;
}

// Starts `wrapper`, then runs the kill command and checks that nothing of the run survives.
void check_kill(const std::string& wrapper, const std::string& dir, const std::string& run_id) {
  std::string base = temp_base();
  pid_t pid = start_wrapper(wrapper, base + ".bg", "sleep 317[3]");
  REQUIRE(std::system("pgrep -f 'sleep 317[3]' >/dev/null") == 0);
  std::ofstream(base + ".kill") << plugins::build_kill_command("'" + dir + "'", run_id);
  CHECK(std::system(("dash -s <" + base + ".kill").c_str()) == 0);
  int st = 0;
  waitpid(pid, &st, 0);
  // The wrapper ends because its script was killed: it tells so by 128 + SIGKILL, or (an
  // inline script under coreutils' timeout, which the shell became) it was in the killed
  // group itself.
  CHECK(((WIFEXITED(st) && WEXITSTATUS(st) == 137) || (WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL)));
  for (int i = 0; i < 50 && std::system("pgrep -f 'sleep 317[123]' >/dev/null") == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  CHECK(std::system("pgrep -f 'sleep 317[123]' >/dev/null") != 0);
  CHECK_FALSE(std::filesystem::exists(dir));
  std::filesystem::remove(base + ".bg");
  std::filesystem::remove(base + ".kill");
}

} // namespace

TEST_CASE("the kill command ends the script's whole process group, background children included") {
  std::string dir = temp_base() + ".k";
  // One child in the group, one in a subshell of its own, one in a session of its own that
  // only the run's environment marker finds.
  std::string script = "sleep 3171 & (sleep 3172 &); setsid sleep 3172 & sleep 3173\n";
  SUBCASE("inline script") {
    REQUIRE_FALSE(plugins::wrapper_uses_file(script));
    check_kill(plugins::build_wrapper("'" + dir + "'", "killrun1", script, "", {}, 60), dir, "killrun1");
  }
  SUBCASE("inline script on a host without coreutils' timeout: setsid and the watchdog instead") {
    std::string wrapper = plugins::build_wrapper("'" + dir + "'", "killrun3", script, "", {}, 60);
    const std::string probe = "/usr/bin/timeout /bin/timeout";
    REQUIRE(wrapper.find(probe) != std::string::npos);
    wrapper.replace(wrapper.find(probe), probe.size(), "/no/timeout");
    check_kill(wrapper, dir, "killrun3");
  }
  SUBCASE("script with #!, written to the private directory") {
    std::string shebang = "#!/bin/sh\n" + script;
    REQUIRE(plugins::wrapper_uses_file(shebang));
    check_kill(plugins::build_wrapper("'" + dir + "'", "killrun2", shebang, "", {}, 60), dir, "killrun2");
  }
}

TEST_CASE("small scripts run without a file on the host; #! and large scripts use the private directory") {
  std::string dir = temp_base() + ".f";
  SUBCASE("inline: no directory is made, $0 is sh, stdin is /dev/null") {
    std::string wrapper = plugins::build_wrapper("'" + dir + "'", "r", "[ -d '" + dir + "' ] && echo dir\ncat\necho end\n", "", {}, 60);
    CHECK(wrapper.find("mkdir") == std::string::npos);
    ShellRun r = run_under("dash", wrapper);
    CHECK(r.status == 0);
    CHECK(r.out == "end\n");
  }
  SUBCASE("#!: the interpreter named there runs it, from the private directory") {
    std::string script = "#!/bin/sh\n[ -d '" + dir + "' ] && echo dir\necho \"$0\"\n";
    ShellRun r = run_under("dash", plugins::build_wrapper("'" + dir + "'", "r", script, "", {}, 60));
    CHECK(r.status == 0);
    CHECK(r.out == "dir\n" + dir + "/_script.sh\n");
    CHECK_FALSE(std::filesystem::exists(dir));
  }
  SUBCASE("over 64 KB: the file path, output intact") {
    std::string script = "cat >/dev/null <<'EOF'\n" + std::string(70 * 1024, 'x') + "\nEOF\necho big\n";
    REQUIRE(plugins::wrapper_uses_file(script));
    ShellRun r = run_under("dash", plugins::build_wrapper("'" + dir + "'", "r", script, "", {}, 60));
    CHECK(r.status == 0);
    CHECK(r.out == "big\n");
    CHECK_FALSE(std::filesystem::exists(dir));
  }
}

TEST_CASE("an inline script is never on a command line of the host") {
  // The script's text is what `ps` would show if it were passed in argv: look for it there.
  std::string base = temp_base();
  std::string wrapper = plugins::build_wrapper("'" + base + ".s'", "r", "secret_marker_4711=1; sleep 3174\n", "", {}, 60);
  pid_t pid = start_wrapper(wrapper, base + ".sec", "sleep 317[4]");
  REQUIRE(std::system("pgrep -f 'sleep 317[4]' >/dev/null") == 0);
  CHECK(std::system("pgrep -f 'secret_marker_471[1]' >/dev/null") != 0);
  std::ofstream(base + ".k2") << plugins::build_kill_command("'" + base + ".s'", "r");
  CHECK(std::system(("dash -s <" + base + ".k2").c_str()) == 0);
  int st = 0;
  waitpid(pid, &st, 0);
  std::filesystem::remove(base + ".sec");
  std::filesystem::remove(base + ".k2");
}
