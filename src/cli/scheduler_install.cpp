// sshm scheduler install --cron | --systemd [--user] [--write] [--remove]: what makes the
// system call `sshm tick` every minute, with the absolute paths in effect now.
#include "cli/app.hpp"
#include "cli/global_options.hpp"
#include "cli/output.hpp"
#include "util/error.hpp"

#include <fmt/format.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <unistd.h>

namespace sshm::cli {

int run_scheduler_install(const GlobalOptions& g, bool cron, bool systemd, bool user, bool write, bool remove);

namespace {

// Marks the crontab line sshm owns, so --write replaces it and --remove finds it.
constexpr const char* k_cron_marker = "# sshm scheduler";

std::string self_path() {
  std::error_code ec;
  auto p = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) throw RuntimeError("cannot find the path of this sshm (/proc/self/exe)");
  return p.string();
}

// A word for a crontab line or an ExecStart: quoted when it holds anything but plain
// path characters.
std::string quoted(const std::string& word) {
  if (word.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-+=:,@") ==
      std::string::npos)
    return word;
  if (word.find_first_of("'%\n") != std::string::npos)
    throw InputError(fmt::format("cannot put '{}' in a crontab line (it holds ', % or a newline)", word));
  return "'" + word + "'";
}

// `sshm tick` with the global settings in effect, as absolute paths.
std::string tick_command(const GlobalOptions& g) {
  std::error_code ec;
  std::string cmd = quoted(self_path()) + " tick --state-dir " + quoted(std::filesystem::absolute(state_dir(g), ec).string());
  if (!g.inventory.empty()) cmd += " -i " + quoted(std::filesystem::absolute(g.inventory, ec).string());
  if (!g.ssh_config.empty()) cmd += " -F " + quoted(std::filesystem::absolute(g.ssh_config, ec).string());
  if (!g.host_key_policy.empty()) cmd += " --host-key-policy " + quoted(g.host_key_policy);
  return cmd;
}

std::string read_crontab() {
  std::string text;
  if (FILE* p = ::popen("crontab -l 2>/dev/null", "r")) {
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) text.append(buf, n);
    ::pclose(p);  // no crontab yet: an error status and no text
  } else {
    throw RuntimeError("cannot run crontab -l");
  }
  return text;
}

void write_crontab(const std::string& text) {
  FILE* p = ::popen("crontab -", "w");
  if (!p) throw RuntimeError("cannot run crontab -");
  std::fwrite(text.data(), 1, text.size(), p);
  if (::pclose(p) != 0) throw RuntimeError("crontab - refused the new crontab");
}

int install_cron(const GlobalOptions& g, bool write, bool remove) {
  std::error_code ec;
  const std::string log = std::filesystem::absolute(state_dir(g), ec).string() + "/tick.log";
  const std::string line = fmt::format("* * * * * {} >>{} 2>&1 {}", tick_command(g), quoted(log), k_cron_marker);
  if (!write && !remove) {
    SyncOut::instance().out(line + "\n");
    return k_exit_ok;
  }
  std::istringstream in(read_crontab());
  std::string kept, l;
  while (std::getline(in, l))
    if (l.find(k_cron_marker) == std::string::npos) kept += l + "\n";
  if (!remove) kept += line + "\n";
  write_crontab(kept);
  SyncOut::instance().err(remove ? "sshm: removed the sshm tick line from the crontab\n"
                                 : "sshm: installed in the crontab: " + line + "\n");
  return k_exit_ok;
}

std::filesystem::path unit_dir(bool user) {
  if (!user) return "/etc/systemd/system";
  return std::filesystem::path(xdg_dir("XDG_CONFIG_HOME", ".config")) / "systemd" / "user";
}

int install_systemd(const GlobalOptions& g, bool user, bool write, bool remove) {
  const std::string service = fmt::format("[Unit]\nDescription=sshm tick: run due associations and maintenance "
                                          "windows\n\n[Service]\nType=oneshot\nExecStart={}\n",
                                          tick_command(g));
  const std::string timer = "[Unit]\nDescription=sshm tick every minute\n\n[Timer]\nOnCalendar=*-*-* *:*:00\n"
                            "AccuracySec=1s\nPersistent=true\n\n[Install]\nWantedBy=timers.target\n";
  const std::filesystem::path dir = unit_dir(user);
  const std::string ctl = user ? "systemctl --user" : "systemctl";
  if (remove) {
    std::error_code ec;
    std::filesystem::remove(dir / "sshm-tick.service", ec);
    std::filesystem::remove(dir / "sshm-tick.timer", ec);
    SyncOut::instance().err(fmt::format("sshm: removed {0}/sshm-tick.{{service,timer}}; run: {1} disable --now "
                                        "sshm-tick.timer; {1} daemon-reload\n",
                                        dir.string(), ctl));
    return k_exit_ok;
  }
  if (!write) {
    SyncOut::instance().out(fmt::format("# {}/sshm-tick.service\n{}\n# {}/sshm-tick.timer\n{}", dir.string(), service,
                                        dir.string(), timer));
    return k_exit_ok;
  }
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  for (const auto& [name, text] : {std::pair{"sshm-tick.service", service}, std::pair{"sshm-tick.timer", timer}}) {
    std::ofstream f(dir / name);
    f << text;
    if (!f) throw RuntimeError(fmt::format("cannot write {}", (dir / name).string()));
  }
  SyncOut::instance().err(fmt::format("sshm: wrote {0}/sshm-tick.service and .timer; run: {1} daemon-reload && {1} "
                                      "enable --now sshm-tick.timer\n",
                                      dir.string(), ctl));
  return k_exit_ok;
}

} // namespace

int run_scheduler_install(const GlobalOptions& g, bool cron, bool systemd, bool user, bool write, bool remove) {
  if (cron == systemd) throw InputError("give one of --cron or --systemd");
  if (user && !systemd) throw InputError("--user goes with --systemd");
  return cron ? install_cron(g, write, remove) : install_systemd(g, user, write, remove);
}

} // namespace sshm::cli
