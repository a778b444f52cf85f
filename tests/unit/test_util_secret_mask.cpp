#include "util/secret_mask.hpp"

#include <doctest/doctest.h>

using sshm::mask_secrets;
using sshm::SecretMaskStream;

TEST_CASE("a resolved secret is masked wherever it occurs in a host's output") {
  CHECK(mask_secrets("pw=Hunter2! and again Hunter2!\n", {"Hunter2!"}) == "pw=**** and again ****\n");
  CHECK(mask_secrets("nothing here", {"Hunter2!"}) == "nothing here");
  CHECK(mask_secrets("no secrets given", {}) == "no secrets given");
  CHECK(mask_secrets("empty secrets are ignored", {""}) == "empty secrets are ignored");
}

TEST_CASE("a secret that contains another is masked whole") {
  CHECK(mask_secrets("token abc123xyz", {"abc", "abc123xyz"}) == "token ****");
  CHECK(mask_secrets("abc and abc123xyz", {"abc123xyz", "abc"}) == "**** and ****");
}

TEST_CASE("a secret split between the pieces of a stream is still masked") {
  const std::string text = "before s3cr3t-value middle s3cr3t-value after s3cr3t";
  const std::string expected = mask_secrets(text, {"s3cr3t-value"});
  CHECK(expected == "before **** middle **** after s3cr3t");
  // Every split into pieces of every size gives the same masked text.
  for (size_t size = 1; size <= text.size(); ++size) {
    SecretMaskStream stream({"s3cr3t-value"});
    std::string out;
    for (size_t i = 0; i < text.size(); i += size) out += stream.feed(std::string_view(text).substr(i, size));
    out += stream.finish();
    CHECK_MESSAGE(out == expected, "pieces of " << size);
  }
}

TEST_CASE("a stream without secrets passes each piece on at once") {
  SecretMaskStream stream({});
  CHECK(stream.feed("abc") == "abc");
  CHECK(stream.finish().empty());
}

TEST_CASE("a stream holds back no more than a secret's length") {
  SecretMaskStream stream({"12345"});
  std::string out = stream.feed("hello world");
  CHECK(out == "hello w");  // "orld" could still be the start of the secret
  CHECK(stream.finish() == "orld");
}
