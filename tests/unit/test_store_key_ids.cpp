// The write path's ID cache: every key finds its own ID, through growth and clearing.
#include "store/key_ids.hpp"

#include <doctest/doctest.h>
#include <string>
#include <vector>

using sshm::store::KeyIds;

TEST_CASE("key ids: each key finds its own id, keys differing in one byte or length stay apart") {
  KeyIds ids;
  CHECK_FALSE(ids.find("a").has_value());
  std::vector<std::string> keys;
  for (int i = 0; i < 5000; ++i) keys.push_back("pkg-" + std::to_string(i) + std::string(static_cast<size_t>(i % 7), 'x'));
  keys.push_back("");
  keys.push_back(std::string("a\0b", 3));
  keys.push_back(std::string("a\0c", 3));
  keys.push_back("pkg-1x");  // the same as keys[1]: found, not added again
  for (size_t i = 0; i < keys.size(); ++i) {
    if (ids.find(keys[i])) continue;  // the same key twice keeps its first id
    ids.insert(keys[i], static_cast<std::int64_t>(i + 1));
  }
  for (size_t i = 0; i < keys.size(); ++i) {
    auto id = ids.find(keys[i]);
    REQUIRE(id.has_value());
    CHECK(keys[static_cast<size_t>(*id - 1)] == keys[i]);
  }
  CHECK_FALSE(ids.find("pkg-").has_value());
  CHECK_FALSE(ids.find(std::string("a\0d", 3)).has_value());
  CHECK(ids.find(std::string("a\0b", 3)) != ids.find(std::string("a\0c", 3)));
  ids.clear();
  CHECK(ids.size() == 0);
  CHECK_FALSE(ids.find("pkg-1x").has_value());
  ids.insert("pkg-1x", 7);
  CHECK(ids.find("pkg-1x") == 7);
}
