#pragma once

// IDs by byte-string key, for the write path's caches of entry and chunk IDs (millions of
// lookups for a fleet's inventory). Open addressing over one array of slots, each with the
// key's hash, and the keys one after the other in one buffer: a lookup touches a slot and the
// key it compares, where a node-based map also walks its bucket's list and each key's own
// allocation. Keys are compared whole, so two keys never share an ID.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sshm::store {

class KeyIds {
public:
  std::optional<std::int64_t> find(std::string_view key) const {
    if (m_slots.empty()) return std::nullopt;
    std::size_t hash = std::hash<std::string_view>{}(key);
    for (std::size_t i = hash & mask();; i = (i + 1) & mask()) {
      const Slot& s = m_slots[i];
      if (!s.used) return std::nullopt;
      if (s.hash == hash && key_of(s) == key) return s.id;
    }
  }

  // Adds a key that find() did not find.
  void insert(std::string_view key, std::int64_t id) {
    if ((m_count + 1) * 2 > m_slots.size()) grow();
    Slot slot{std::hash<std::string_view>{}(key), id, m_keys.size(), key.size(), true};
    m_keys.append(key);
    place(slot);
    ++m_count;
  }

  void clear() {
    m_slots.clear();
    m_keys.clear();
    m_count = 0;
  }

  std::size_t size() const { return m_count; }

private:
  struct Slot {
    std::size_t hash = 0;
    std::int64_t id = 0;
    std::size_t offset = 0;
    std::size_t length = 0;
    bool used = false;
  };

  std::size_t mask() const { return m_slots.size() - 1; }
  std::string_view key_of(const Slot& s) const { return std::string_view(m_keys).substr(s.offset, s.length); }

  void place(const Slot& slot) {
    std::size_t i = slot.hash & mask();
    while (m_slots[i].used) i = (i + 1) & mask();
    m_slots[i] = slot;
  }

  // Twice the slots (a power of two, at most half full), every key placed again.
  void grow() {
    std::vector<Slot> old(m_slots.size() < 64 ? 64 : m_slots.size() * 2);
    old.swap(m_slots);
    for (const Slot& s : old)
      if (s.used) place(s);
  }

  std::vector<Slot> m_slots;
  std::string m_keys;
  std::size_t m_count = 0;
};

} // namespace sshm::store
