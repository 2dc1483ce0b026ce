// The library's one error format: "[op] message", thrown as std::invalid_argument
// at the API boundary so callers and tests can expect it (DESIGN.md, "Conventions").
#pragma once
#include <stdexcept>
#include <string>

namespace nanossl {

[[noreturn]] inline void op_error(const char* op, const std::string& message) {
  throw std::invalid_argument(std::string("[") + op + "] " + message);
}

}  // namespace nanossl
