// Robustness of the input readers: feeds generated mutations of documents, inventories,
// patch baselines, parameter values and ssh configs through the entry points the CLI uses.
// A reader may refuse its input with an InputError; any other exception, a crash or a
// case using more than 5 seconds of CPU (20 under sanitizers) is a failure.
//
//   SSHM_FUZZ_SEED=N     replay a run (the seed is printed at the start)
//   SSHM_FUZZ_CASES=N    cases per input kind (default 300)
//   SSHM_FUZZ_VERBOSE=1  name each case before it runs (to find the one that crashes)
#include "documents/document.hpp"
#include "fleet/inventory.hpp"
#include "patch/baseline.hpp"
#include "ssh/config.hpp"
#include "util/error.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <functional>
#include <random>
#include <sstream>
#include <typeinfo>
#include <string>
#include <vector>

namespace {

using Reader = std::function<void(const std::string& text)>;

struct Kind {
  std::string name;
  std::vector<std::string> seeds;
  Reader read;
};

std::string read_text(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> files_in(const std::filesystem::path& dir, const std::vector<std::string>& extensions) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    for (const auto& ext : extensions)
      if (entry.path().extension() == ext) out.push_back(read_text(entry.path()));
  }
  return out;
}

const char* const k_native_inventory = R"(defaults:
  user: deploy
  port: 22
  vars: {env: prod}
hosts:
  web-1: {address: 10.0.0.1, tags: {role: web}}
  web-2:
    address: 10.0.0.2
    platform: Linux
    vars: {a: [1, 2, {b: c}]}
  db-1: &db {address: 10.0.0.3, tags: {role: db}}
groups:
  web: {hosts: [web-1, web-2]}
  all-db: {match: "tag:role=db"}
  every: {children: [web, all-db]}
)";

const char* const k_ini_inventory = R"([web]
web1 ansible_host=10.0.0.1 ansible_port=2222
web[2:4] ansible_user=deploy note="a: b"

[db]
db1 ansible_host=10.0.0.9 list="[1, 'x', {'k': 2.5}]" flag=True

[web:vars]
ansible_become=true

[prod:children]
web
db
)";

const char* const k_ansible_yaml = R"(all:
  vars:
    ansible_user: deploy
  children:
    web:
      hosts:
        web1: {ansible_host: 10.0.0.1, on: yes}
        web[2:3]:
      vars: {port: 017}
    db:
      hosts:
        db1:
          ansible_port: 2200
)";

const char* const k_baseline = R"(Name: custom-ubuntu
OperatingSystem: UBUNTU
ApprovalRules:
  PatchRules:
    - PatchFilterGroup:
        PatchFilters:
          - {Key: PRIORITY, Values: [Required, Important]}
      ApproveAfterDays: 7
      ComplianceLevel: HIGH
ApprovedPatches: [openssl]
RejectedPatches: [telnet]
)";

const char* const k_ssh_config = R"(Host web-*
  User deploy
  Port 2222
  IdentityFile ~/.ssh/id_%h
Host bastion
  HostName 10.0.0.254
  ProxyJump jump@gw:22
Match host db* user root
  StrictHostKeyChecking accept-new
Host *
  ConnectTimeout 5
)";

const char* const k_parameters = R"({"commands": ["uptime", "df -h"], "executionTimeout": "60", "workingDirectory": ""})";

// A YAML text whose aliases expand to about 10^levels nodes.
std::string alias_bomb(int levels) {
  std::string out = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i < levels; ++i) {
    std::string prev = fmt::format("*a{}", i - 1);
    out += fmt::format("a{}: &a{} [{p},{p},{p},{p},{p},{p},{p},{p},{p},{p}]\n", i, i, fmt::arg("p", prev));
  }
  return out;
}

class Mutator {
public:
  explicit Mutator(std::uint64_t seed) : m_rng(seed) {}

  std::size_t below(std::size_t n) { return n == 0 ? 0 : static_cast<std::size_t>(m_rng() % n); }

  std::string mutate(std::string text) {
    int count = 1 + static_cast<int>(below(4));
    for (int i = 0; i < count; ++i) text = once(std::move(text));
    return text;
  }

private:
  std::string once(std::string t) {
    std::size_t at = below(t.size() + 1);
    switch (below(12)) {
    case 0:  // byte flips
      for (int k = 0; k < 4 && !t.empty(); ++k) t[below(t.size())] = static_cast<char>(below(256));
      return t;
    case 1:  // truncation
      return t.substr(0, at);
    case 2: {  // duplicate a slice
      std::size_t from = below(t.size() + 1);
      std::string slice = t.substr(from, below(200));
      return t.insert(at, slice);
    }
    case 3: {  // deep nesting, JSON or YAML flow style
      std::size_t depth = 100 + below(100000);
      std::string open = below(2) ? "[" : "{\"k\": ";
      std::string nest;
      for (std::size_t d = 0; d < depth; ++d) nest += open;
      return t.insert(at, nest);
    }
    case 4: {  // deep block-style YAML
      std::string nest;
      for (std::size_t d = 0; d < 300; ++d) nest += std::string(d, ' ') + "k:\n";
      return below(2) ? nest : t + "\n" + nest;
    }
    case 5:  // alias bombs, sometimes recursive
      if (below(4) == 0) return t.insert(at, "\nr: &r [*r]\n");
      return below(2) ? alias_bomb(3 + static_cast<int>(below(7))) : t + "\n" + alias_bomb(9);
    case 6: {  // huge numbers
      static const char* const numbers[] = {"1e999999", "-0x", "0b2", "9223372036854775808", "1_000_:60", "017", ".5e"};
      std::string n = below(2) ? std::string(1000 + below(40000), '9') : numbers[below(7)];
      return t.insert(at, n);
    }
    case 7: {  // bad UTF-8
      static const char* const bad[] = {"\xC3\x28", "\xFF\xFE", "\xED\xA0\x80", "\xF4\x90\x80\x80", "\xE2\x82", "\xEF\xBB\xBF"};
      return t.insert(at, bad[below(6)]);
    }
    case 8: {  // control characters, NUL included
      std::string c(1, static_cast<char>(below(32)));
      return t.insert(at, c);
    }
    case 9:  // a long token, as a value for patterns and number readers
      return t.insert(at, std::string(20000 + below(20000), "a1_.:/"[below(6)]));
    case 10: {  // structural characters
      static const char* const bits[] = {"{", "}", "[", "]", ":", "- ", "\"", "'", "&a ", "*a ", "!!binary ", "<<: ", "%", "\n", "\t", "|", ">", "#", "Include /dev/null", "Match all", "[x:children]", "{{ssm:/a}}", "{{ p }}", "../"};
      return t.insert(at, bits[below(24)]);
    }
    default: {  // swap two lines
      std::vector<std::string> lines;
      std::size_t start = 0;
      for (std::size_t i = 0; i <= t.size(); ++i) {
        if (i == t.size() || t[i] == '\n') {
          lines.push_back(t.substr(start, i - start));
          start = i + 1;
        }
      }
      if (lines.size() > 1) std::swap(lines[below(lines.size())], lines[below(lines.size())]);
      std::string out;
      for (std::size_t i = 0; i < lines.size(); ++i) out += (i ? "\n" : "") + lines[i];
      return out;
    }
    }
  }

  std::mt19937_64 m_rng;
};

std::vector<Kind> kinds(const std::string& source_dir) {
  using namespace sshm;
  std::vector<std::string> documents = files_in(source_dir + "/documents", {".json", ".yaml"});
  std::vector<std::string> baselines = files_in(source_dir + "/tests/unit/data/patch", {".json", ".yaml"});
  baselines.push_back(k_baseline);
  static const documents::Document shell = documents::load("AWS-RunShellScript");
  ssh::LocalIdentity local{"fuzz", "/nonexistent/sshm-fuzz-home"};
  return {
      {"document", documents,
       [](const std::string& text) {
         documents::validate_text(text, "fuzz.json");
         documents::Document doc = documents::load_text(text, "fuzz.json", "fuzz");
         documents::resolve(doc, {}, "Linux");
       }},
      {"inventory", {k_native_inventory, k_ini_inventory, k_ansible_yaml},
       [](const std::string& text) { fleet::Inventory::parse(text, "fuzz-inventory"); }},
      {"inventory-as-ini", {k_ini_inventory},
       [](const std::string& text) { fleet::Inventory::parse(text, "fuzz.ini", fleet::InventoryFormat::ansible_ini); }},
      {"inventory-as-ansible-yaml", {k_ansible_yaml},
       [](const std::string& text) { fleet::Inventory::parse(text, "fuzz.yml", fleet::InventoryFormat::ansible_yaml); }},
      {"baseline", baselines, [](const std::string& text) { patch::parse_baselines(text, "fuzz-baseline.yaml"); }},
      {"parameters", {k_parameters},
       [](const std::string& text) {
         documents::ParameterValues values = documents::typed_parameters(shell, nlohmann::json(text), "fuzz-params.json");
         documents::resolve(shell, values, "Linux");
       }},
      {"ssh-config", {k_ssh_config},
       [local](const std::string& text) {
         ssh::SshConfig config = ssh::SshConfig::parse(text, "fuzz_ssh_config", local);
         config.resolve("web-1", {}, {});
         config.resolve("db.example", {}, {});
       }},
  };
}

std::uint64_t env_number(const char* name, std::uint64_t fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::strtoull(v, nullptr, 10) : fallback;
}

// Runs one case; "" when the reader accepted or refused it properly, else what went wrong.
std::string run_case(const Kind& kind, const std::string& text) {
  try {
    kind.read(text);
  } catch (const sshm::InputError&) {
  } catch (const std::exception& e) {
    return fmt::format("{} escaped: {:.300}", typeid(e).name(), e.what());
  } catch (...) {
    return "a non-standard exception escaped";
  }
  return {};
}

} // namespace

// CPU seconds this thread has used.
static double cpu_seconds() {
  timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

int main() {
  std::uint64_t seed = env_number("SSHM_FUZZ_SEED", std::random_device{}());
  std::uint64_t per_kind = env_number("SSHM_FUZZ_CASES", 300);
  bool verbose = std::getenv("SSHM_FUZZ_VERBOSE") != nullptr;
  std::printf("fuzz_parsers: seed %llu (replay with SSHM_FUZZ_SEED=%llu)\n", static_cast<unsigned long long>(seed),
              static_cast<unsigned long long>(seed));
  std::fflush(stdout);
  Mutator mutator(seed);
  int failures = 0, total = 0;
  // CPU time, not wall time, so a loaded machine does not count as a hang; a sanitized build
  // runs a few times slower.
  const double limit_s = std::getenv("SSHM_SANITIZED") ? 20.0 : 5.0;
  for (const Kind& kind : kinds(SSHM_SOURCE_DIR)) {
    if (kind.seeds.empty()) {
      std::printf("FAIL %s: no seeds found under %s\n", kind.name.c_str(), SSHM_SOURCE_DIR);
      ++failures;
      continue;
    }
    for (std::uint64_t i = 0; i < per_kind; ++i, ++total) {
      const std::string& base = kind.seeds[mutator.below(kind.seeds.size())];
      std::string text = i == 0 ? base : mutator.mutate(base);
      if (verbose) std::fprintf(stderr, "case %s #%llu (%zu bytes)\n", kind.name.c_str(), static_cast<unsigned long long>(i), text.size());
      double started = cpu_seconds();
      std::string problem = run_case(kind, text);
      double seconds = cpu_seconds() - started;
      if (problem.empty() && seconds > limit_s)
        problem = fmt::format("took {:.1f} s of CPU (limit {:.0f} s)", seconds, limit_s);
      if (!problem.empty()) {
        ++failures;
        std::printf("FAIL %s case %llu (%zu bytes): %s\n", kind.name.c_str(), static_cast<unsigned long long>(i),
                    text.size(), problem.c_str());
      }
    }
  }
  std::printf("fuzz_parsers: %d cases, %d failures (seed %llu)\n", total, failures, static_cast<unsigned long long>(seed));
  return failures ? 1 : 0;
}
