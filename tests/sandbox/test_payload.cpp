// The payload is forked before init builds the sandbox and waits for init's
// two words (the view is built; the rest of the sandbox is): it must run the
// command after both only, never on init's failure or death (EOF) after
// either or before both, or on anything else written to it.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <functional>
#include <string>

#include "sandbox/control_channel.hpp"
#include "sandbox/run.hpp"
#include "sandbox/spec.hpp"
#include "util/error.hpp"

namespace {

namespace fs = std::filesystem;
using airlock::sandbox::Spec;

// A spec that runs `sh -c "echo ran > marker"`, without any layer.
Spec writing(const fs::path& marker) {
  Spec spec;
  spec.argv = {"/bin/sh", "-c", "echo ran > " + marker.string()};
  spec.executable = "/bin/sh";
  spec.cwd = "/";
  return spec;
}

// Runs the payload's steps in a child; `init` gets the write end of the
// child's go-ahead pipe, which is closed after it. Returns the child's wait
// status.
int run_payload(const Spec& spec, const std::function<void(int)>& init) {
  auto ready = airlock::sandbox::make_pipe();
  auto [ours, theirs] = airlock::sandbox::control::make_pair();
  const pid_t pid = fork();
  if (pid == 0) {
    ready.write.reset();
    ours.reset();
    airlock::sandbox::run_payload(spec, {theirs.get(), ready.read.get()}, nullptr);
  }
  ready.read.reset();
  theirs.reset();
  init(ready.write.get());
  ready.write.reset();
  int status = 0;
  waitpid(pid, &status, 0);
  return status;
}

fs::path marker_path(const std::string& name) {
  const auto path = fs::path(testing::TempDir()) / ("airlock-payload-" + std::to_string(getpid()) + "-" + name);
  fs::remove(path);
  return path;
}

void expect_own_error(int status) {
  ASSERT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), airlock::kExitOwnError);
}

}  // namespace

TEST(PayloadStart, InitGoneBeforeItsWordRunsNothing) {
  const auto marker = marker_path("eof");
  expect_own_error(run_payload(writing(marker), [](int) {}));
  EXPECT_FALSE(fs::exists(marker));
}

TEST(PayloadStart, AnyOtherByteThanInitsWordRunsNothing) {
  const auto marker = marker_path("byte");
  expect_own_error(run_payload(writing(marker), [](int fd) { ASSERT_EQ(write(fd, "x", 1), 1); }));
  EXPECT_FALSE(fs::exists(marker));
  expect_own_error(run_payload(writing(marker), [](int fd) { ASSERT_EQ(write(fd, "gx", 2), 2); }));
  EXPECT_FALSE(fs::exists(marker));
}

TEST(PayloadStart, InitGoneAfterTheViewRunsNothing) {
  const auto marker = marker_path("view");
  expect_own_error(run_payload(writing(marker), [](int fd) { ASSERT_EQ(write(fd, "g", 1), 1); }));
  EXPECT_FALSE(fs::exists(marker));
}

TEST(PayloadStart, InitsTwoWordsRunTheCommand) {
  const auto marker = marker_path("go");
  const int status = run_payload(writing(marker), [](int fd) { ASSERT_EQ(write(fd, "gg", 2), 2); });
  ASSERT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_TRUE(fs::exists(marker));
  fs::remove(marker);
}
