#pragma once
// The message of the airlock::Error a call throws, for tests that check what
// a person is told.
#include <functional>
#include <string>

#include "util/error.hpp"

namespace airlock::test {

// "(no error)" when `f` returns normally.
inline std::string error_message(const std::function<void()>& f) {
  try {
    f();
  } catch (const airlock::Error& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace airlock::test
