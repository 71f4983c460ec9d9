// The sandbox's control channel (sandbox/control_channel.hpp): a seccomp
// listener and a set-up failure travel on it, apart.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

#include "sandbox/control_channel.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"

using namespace airlock;
using namespace airlock::sandbox;

TEST(ControlChannel, AListenerTravelsAndErrorTextStillReads) {
  auto [ours, theirs] = control::make_pair();
  UniqueFd passed(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  control::send_listener(theirs.get(), passed.get());
  ASSERT_EQ(::write(theirs.get(), "125 boom", 8), 8);
  char text[64];
  UniqueFd got;
  EXPECT_EQ(control::receive(ours.get(), text, sizeof text, got), 0);
  ASSERT_TRUE(got);
  struct stat a {}, b {};
  ASSERT_EQ(::fstat(got.get(), &a), 0);
  ASSERT_EQ(::fstat(passed.get(), &b), 0);
  EXPECT_EQ(a.st_rdev, b.st_rdev);
  UniqueFd none;
  EXPECT_EQ(control::receive(ours.get(), text, sizeof text, none), 8);
  EXPECT_FALSE(none);
  EXPECT_EQ(std::string(text, 8), "125 boom");
  theirs.reset();
  EXPECT_EQ(control::receive(ours.get(), text, sizeof text, none), 0);
}

TEST(ControlChannel, AFailureArrivesAsCodeAndMessageWithTheExitCode) {
  auto [ours, theirs] = control::make_pair();
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ours.reset();
    control::fail(theirs.get(), 127, "x: command not found");
  }
  theirs.reset();
  char text[64];
  UniqueFd none;
  const auto n = control::receive(ours.get(), text, sizeof text, none);
  ASSERT_GT(n, 0);
  EXPECT_EQ(std::string(text, static_cast<std::size_t>(n)), "127 x: command not found");
  EXPECT_FALSE(none);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 127);
}

TEST(ControlChannel, OnlyTheGoAheadByteLetsAProcessGoOn) {
  for (const char byte : {'g', 'x'}) {
    auto pipe = make_pipe();
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      pipe.write.reset();
      wait_for_go_ahead(pipe.read.get());
      _exit(0);
    }
    pipe.read.reset();
    ASSERT_EQ(write(pipe.write.get(), &byte, 1), 1);
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), byte == kGoAhead ? 0 : kExitOwnError) << byte;
  }
}
