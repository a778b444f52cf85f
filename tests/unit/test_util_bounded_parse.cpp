// The limits every reader applies before building anything (size, depth, YAML aliases).
#include "util/bounded_parse.hpp"
#include "test_helpers.hpp"

#include <doctest/doctest.h>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <unistd.h>

using namespace sshm;

namespace {

// The InputError `f` throws, formatted as the user sees it; "" when none.
template <typename F> std::string bounded_error(F f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.formatted();
  }
  return {};
}

// The 636-byte billion-laughs shape: each level lists the one before ten times.
std::string alias_bomb(int levels) {
  std::string out = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i < levels; ++i) {
    std::string p = fmt::format("*a{}", i - 1);
    out += fmt::format("a{0}: &a{0} [{1},{1},{1},{1},{1},{1},{1},{1},{1},{1}]\n", i, p);
  }
  return out;
}

} // namespace

TEST_CASE("JSON deeper than the limit is refused at the bracket that breaks it") {
  CHECK(bounded_error([] { bounded::check_json(repeat("[", 128) + repeat("]", 128), "f.json"); }).empty());
  std::string deep = "{\n \"a\": " + repeat("[", 100000);
  CHECK(bounded_error([&] { bounded::check_json(deep, "f.json"); }) == "f.json:2:134: nested deeper than the limit of 128 levels");
  // Brackets inside strings, escaped quotes included, do not count.
  std::string quoted = "[\"" + repeat("[", 500) + "\\\"" + repeat("{", 500) + "\"]";
  CHECK(bounded_error([&] { bounded::check_json(quoted, "f.json"); }).empty());
}

TEST_CASE("YAML depth, alias expansion and recursive aliases are refused") {
  CHECK(bounded_error([] { bounded::check_yaml(repeat("[", 129) + repeat("]", 129), "f.yaml"); }) ==
        "f.yaml:1:129: nested deeper than the limit of 128 levels");
  std::string block;
  for (int d = 0; d < 200; ++d) block += std::string(static_cast<size_t>(d), ' ') + "k:\n";
  CHECK(bounded_error([&] { bounded::check_yaml(block, "b.yaml"); }).find("nested deeper than the limit of 128 levels") !=
        std::string::npos);

  // 10^5 expanded nodes pass, 10^6 and 10^9 do not.
  CHECK(bounded_error([] { bounded::check_yaml(alias_bomb(5), "ok.yaml"); }).empty());
  for (int levels : {6, 9}) {
    std::string e = bounded_error([&] { bounded::check_yaml(alias_bomb(levels), "bomb.yaml"); });
    CHECK(e.find("bomb.yaml:") == 0);
    CHECK(e.find("more than the limit of 1000000 nodes") != std::string::npos);
  }
  CHECK(bounded_error([] { bounded::load_yaml("a: &r [1, *r]\n", "r.yaml"); }) ==
        "r.yaml:1:11: an alias refers to a node that contains it (a recursive alias)");
  // Ordinary anchors and aliases are fine, also across documents.
  CHECK(bounded::load_yaml("base: &b {x: 1}\nother: *b\n", "ok.yaml")["other"]["x"].as<int>() == 1);
  CHECK(bounded_error([] { bounded::check_yaml("a: &x 1\n---\nb: &x 2\nc: *x\n", "docs.yaml"); }).empty());
  // A syntax error is yaml-cpp's, as from YAML::Load.
  CHECK_THROWS_AS(bounded::check_yaml("a: [1, 2\n", "bad.yaml"), YAML::ParserException);
}

TEST_CASE("files larger than 16 MiB are refused before they are read whole") {
  auto path = std::filesystem::temp_directory_path() / fmt::format("sshm-bounded-{}.yaml", ::getpid());
  {
    std::ofstream out(path, std::ios::binary);
    std::string line(1023, 'x');
    line += '\n';
    for (int i = 0; i < 16 * 1024 + 1; ++i) out << line;
  }
  CHECK(bounded_error([&] { bounded::read_file(path.string(), "inventory file"); }) ==
        path.string() + ": the file is larger than the limit of 16 MiB for input files");
  std::filesystem::remove(path);
  CHECK(bounded_error([&] { bounded::read_file(path.string(), "inventory file"); }) == path.string() + ": cannot read the inventory file");
  CHECK(bounded_error([] { bounded::check_size(std::string(bounded::k_max_file_bytes + 1, ' '), "x"); }) ==
        "x: the file is larger than the limit of 16 MiB for input files");
}
