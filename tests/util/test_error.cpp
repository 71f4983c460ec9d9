#include <gtest/gtest.h>

#include <cerrno>

#include "util/error.hpp"

TEST(CheckSyscall, ThrowsWithErrnoOnMinusOne) {
  errno = ENOENT;
  try {
    airlock::check_syscall(-1, "open /nonexistent");
    FAIL() << "expected SystemError";
  } catch (const airlock::SystemError& e) {
    EXPECT_EQ(e.error_number(), ENOENT);
    EXPECT_EQ(e.exit_code(), 125);
    EXPECT_NE(std::string(e.what()).find("open /nonexistent"), std::string::npos);
  }
  EXPECT_EQ(airlock::check_syscall(3, "x"), 3);
}
