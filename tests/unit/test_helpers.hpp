#pragma once

// Helpers several unit tests share (one definition, so the test sources can also be compiled
// together in one unity translation unit).

#include "util/error.hpp"

#include <cstddef>
#include <doctest/doctest.h>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

// The bytes of tests/unit/data/<folder>/<name>.
inline std::string test_data(const std::string& folder, const std::string& name) {
  std::ifstream in(std::string(SSHM_TEST_DATA) + "/" + folder + "/" + name, std::ios::binary);
  REQUIRE_MESSAGE(in.good(), "missing test data " << folder << "/" << name);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The formatted errors that f throws (each of an InputErrors, or the one InputError); none
// when f returns.
template <typename F> std::vector<std::string> input_errors_of(F f) {
  try {
    f();
  } catch (const sshm::InputErrors& e) {
    std::vector<std::string> out;
    for (const auto& x : e.errors()) out.push_back(x.formatted());
    return out;
  } catch (const sshm::InputError& e) {
    return {e.formatted()};
  }
  return {};
}

// n copies of s (which may be several bytes long).
inline std::string repeat(const std::string& s, std::size_t n) {
  std::string out;
  out.reserve(s.size() * n);
  for (std::size_t i = 0; i < n; ++i) out += s;
  return out;
}
