#include "params/crypto.hpp"

#include "util/error.hpp"
#include "temp_dir.hpp"

#include <doctest/doctest.h>
#include <fstream>
#include <sys/stat.h>
#include <unistd.h>

using namespace sshm;
using namespace sshm::params;

namespace {

} // namespace

TEST_CASE("params crypto: a value round-trips and the blob hides it") {
  Key key = generate_key();
  std::string blob = encrypt(key, "s3cret-value", value_aad("/db/password", 1));
  CHECK(blob.find("s3cret") == std::string::npos);
  CHECK(blob.size() == 12 + 12 + 16);
  CHECK(decrypt(key, blob, value_aad("/db/password", 1)) == "s3cret-value");
  // A fresh nonce per value: the same value encrypts differently each time.
  CHECK(encrypt(key, "s3cret-value", value_aad("/db/password", 1)) != blob);
}

TEST_CASE("params crypto: a wrong key, altered blob or moved value fails, never garbage") {
  Key key = generate_key();
  std::string blob = encrypt(key, "s3cret", value_aad("/db/password", 1));
  CHECK(!decrypt(generate_key(), blob, value_aad("/db/password", 1)));
  std::string tampered = blob;
  tampered[14] = static_cast<char>(tampered[14] ^ 1);
  CHECK(!decrypt(key, tampered, value_aad("/db/password", 1)));
  CHECK(!decrypt(key, blob, value_aad("/db/password", 2)));
  CHECK(!decrypt(key, blob, value_aad("/db/other", 1)));
  CHECK(!decrypt(key, "short", value_aad("/db/password", 1)));
}

TEST_CASE("params crypto: the key file is created 0600 once and read back") {
  TempDir dir;
  auto file = dir.path / "conf" / "sshm" / "params.key";
  Key first = load_or_create_key(file);
  struct stat st {};
  REQUIRE(::stat(file.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  Key again = load_or_create_key(file);
  CHECK(again.bytes == first.bytes);
  CHECK(again.fingerprint() == first.fingerprint());
  CHECK(generate_key().fingerprint() != first.fingerprint());
}

TEST_CASE("params crypto: a file that is not a key is refused with its name") {
  TempDir dir;
  auto file = dir.path / "params.key";
  std::ofstream(file) << "not a key\n";
  try {
    load_or_create_key(file);
    FAIL("expected an error");
  } catch (const RuntimeError& e) {
    CHECK(std::string(e.what()).find(file.string()) != std::string::npos);
  }
}

TEST_CASE("params crypto: SSHM_PARAMS_KEY_FILE names the key file") {
  const char* old = std::getenv("XDG_CONFIG_HOME");
  std::string saved = old ? old : "";
  ::setenv("SSHM_PARAMS_KEY_FILE", "/some/where/key", 1);
  CHECK(default_key_file() == "/some/where/key");
  ::unsetenv("SSHM_PARAMS_KEY_FILE");
  ::setenv("XDG_CONFIG_HOME", "/cfg", 1);
  CHECK(default_key_file() == "/cfg/sshm/params.key");
  if (old) ::setenv("XDG_CONFIG_HOME", saved.c_str(), 1);
  else ::unsetenv("XDG_CONFIG_HOME");
}
