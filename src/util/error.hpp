#pragma once
// sshm's error model. Inside, a function that can fail returns Expected<T, Error> (or, on the
// transport, Expected<T, ssh::Failure>, whose kind becomes an invocation's status). At the
// edges errors are exceptions: InputError (exit 2) and RuntimeError (exit 1), caught once in
// main and printed as `sshm: error: FILE:LINE:COL: message (did you mean 'x'?)`, or per host,
// where they become a Failed invocation with the message.
#include <stdexcept>
#include <string>
#include <vector>

namespace sshm {

// A position in an input file; line and column are 1-based, 0 means unknown.
struct Location {
  std::string file;
  int line = 0;
  int column = 0;

  std::string str() const;
};

// Bad input from the user: a file, a flag, a target. Exit status 2.
class InputError : public std::runtime_error {
public:
  explicit InputError(const std::string& message) : std::runtime_error(message) {}
  InputError(const std::string& message, std::string suggestion)
      : std::runtime_error(message), m_suggestion(std::move(suggestion)) {}
  InputError(Location where, const std::string& message, std::string suggestion = {});

  const Location& where() const { return m_where; }
  const std::string& suggestion() const { return m_suggestion; }
  // "FILE:LINE:COL: message (did you mean 'x'?)" as printed to the user.
  std::string formatted() const;

private:
  Location m_where;
  std::string m_suggestion;
};

// Several input errors found in one pass (document validation reports all of them).
class InputErrors : public InputError {
public:
  explicit InputErrors(std::vector<InputError> errors);
  const std::vector<InputError>& errors() const { return m_errors; }

private:
  std::vector<InputError> m_errors;
};

// Something outside the user's input failed (disk full, store locked). Exit status 1.
class RuntimeError : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

// An error as a value: a message worded for the user, and whether the user's input (exit 2)
// or something outside it (exit 1) is at fault.
struct Error {
  enum class Kind { input, runtime };
  std::string message;
  Kind kind = Kind::input;

  // Throws it as InputError or RuntimeError, by kind.
  [[noreturn]] void raise() const;
};

} // namespace sshm
