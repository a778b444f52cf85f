#pragma once
// A small stand-in for C++23 std::expected: a value or an error, never both.
#include <cassert>
#include <utility>
#include <variant>

namespace sshm {

template <typename E> struct Unexpected {
  E error;
};

template <typename E> Unexpected<std::decay_t<E>> unexpected(E&& e) {
  return {std::forward<E>(e)};
}

// [[nodiscard]]: a result that carries an error must be looked at.
template <typename T, typename E> class [[nodiscard]] Expected {
public:
  Expected(T value) : m_data(std::in_place_index<0>, std::move(value)) {}
  template <typename U>
  Expected(Unexpected<U> u) : m_data(std::in_place_index<1>, E(std::move(u.error))) {}

  bool has_value() const { return m_data.index() == 0; }
  explicit operator bool() const { return has_value(); }

  T& value() & { assert(has_value()); return std::get<0>(m_data); }
  const T& value() const& { assert(has_value()); return std::get<0>(m_data); }
  T&& value() && { assert(has_value()); return std::get<0>(std::move(m_data)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  E& error() & { assert(!has_value()); return std::get<1>(m_data); }
  const E& error() const& { assert(!has_value()); return std::get<1>(m_data); }

private:
  std::variant<T, E> m_data;
};

} // namespace sshm
