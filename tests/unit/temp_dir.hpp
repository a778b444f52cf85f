#pragma once

// A directory of its own under the temporary directory for one test, removed with everything
// in it when the test ends.

#include <doctest/doctest.h>
#include <filesystem>
#include <string>
#include <system_error>
#include <unistd.h>

struct TempDir {
  std::filesystem::path path;
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "sshm-unit-XXXXXX").string();
    REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    path = tmpl;
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};
