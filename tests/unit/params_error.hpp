#pragma once

// The code of the Parameter Store error that f throws (ParameterNotFound, ...), "" when it returns.

#include "params/parameter.hpp"

#include <string>

template <typename F> std::string params_error_code(F&& f) {
  try {
    f();
  } catch (const sshm::params::Error& e) {
    return e.code();
  }
  return "";
}
