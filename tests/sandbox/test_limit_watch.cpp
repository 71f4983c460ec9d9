// What init looks at to tell that a limit was reached (limit_watch.hpp):
// the tasks of its pid namespace, threads included, and the notes the
// supervisor reads back.
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <unistd.h>

#include <thread>
#include <vector>

#include "namespace_harness.hpp"
#include "sandbox/limit_watch.hpp"
#include "sandbox/run.hpp"

namespace airlock::sandbox {
namespace {

// As PID 1 of a fresh pid namespace with its own /proc: two children, one
// of them with three threads more, are five tasks; init is not counted.
TEST(LimitWatch, CountsTheNamespacesTasksThreadsIncludedInitLeftOut) {
  const auto run = testing::run_in_new_namespaces([](std::string& out) {
    check_syscall(::mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr), "mount proc");
    out += "alone=" + std::to_string(count_tasks()) + "\n";
    auto hold = make_pipe();
    std::vector<pid_t> children;
    for (int threads : {0, 3}) {
      const pid_t child = ::fork();
      if (child == 0) {
        hold.write.reset();
        std::vector<std::thread> running;
        for (int i = 0; i < threads; ++i) running.emplace_back([fd = hold.read.get()] {
          char c;
          (void)!::read(fd, &c, 1);
        });
        char c;
        (void)!::read(hold.read.get(), &c, 1);
        for (auto& t : running) t.join();
        ::_exit(0);
      }
      children.push_back(child);
    }
    // The threads start on their own time: look until they are all there.
    std::uint64_t seen = 0;
    for (int i = 0; i < 500 && (seen = count_tasks()) < 5; ++i) ::usleep(2000);
    out += "with_children=" + std::to_string(seen) + "\n";
    hold.write.reset();
    for (pid_t child : children) ::waitpid(child, nullptr, 0);
    out += "after=" + std::to_string(count_tasks()) + "\n";
    return 0;
  });
  ASSERT_EQ(run.status, 0) << run.output;
  auto v = run.values();
  EXPECT_EQ(v["alone"], "0");
  EXPECT_EQ(v["with_children"], "5");
  EXPECT_EQ(v["after"], "0");
}

TEST(LimitWatch, TheSupervisorReadsEachLimitOnceAndNothingElse) {
  auto notes = make_pipe();
  testing::write_all(notes.write.get(), "processes\ntmp\nprocesses\nnofile\npartial");
  notes.write.reset();
  EXPECT_EQ(limits_in(read_notes(notes.read.get())), (std::vector<std::string>{"processes", "tmp"}));
}

TEST(LimitWatch, AFullFilesystemIsFullAndTheRootIsNot) {
  EXPECT_FALSE(filesystem_full("/"));
  EXPECT_FALSE(filesystem_full("/nonexistent-airlock-path"));
}

}  // namespace
}  // namespace airlock::sandbox
