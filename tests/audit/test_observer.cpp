// The observer against the kernel: a fork()ed child loads the notification
// filter and hands its listener over the audit channel, as the payload
// does; the test process serves the notifications and checks what was
// recorded, and that every call went on as if unwatched.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <functional>

#include "audit/observer.hpp"
#include "audit/watch.hpp"
#include "sandbox/control_channel.hpp"
#include "support/temp_dir.hpp"
#include "util/error.hpp"

using namespace airlock;
using namespace airlock::audit;

namespace {

struct Watched {
  int status = -1;
  Observations seen;
};

int exit_code(int status) { return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status); }

Watch test_watch(std::vector<std::string> denied = {}) {
  policy::Syscalls base;
  base.deny = std::move(denied);
  Watch watch = build_watch(base);
  return watch;
}

// body runs in the child under the filter; its return value is the child's
// exit status (0: every call did what it should).
Watched run_watched(const Watch& watch, const std::function<int()>& body,
                    const Observer::TcpConnectHook& tcp_connect = {}) {
  auto [ours, theirs] = sandbox::control::make_pair();
  const pid_t pid = static_cast<pid_t>(check_syscall(::fork(), "fork"));
  if (pid == 0) {
    ours.reset();
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) ::_exit(91);
    try {
      sandbox::control::send_listener(theirs.get(), load_notification_filter(watch).get());
    } catch (const std::exception&) {
      ::_exit(92);
    }
    theirs.reset();
    ::_exit(body());
  }
  theirs.reset();
  Watched out;
  UniqueFd listener;
  char text[256];
  pollfd wait_for_listener{ours.get(), POLLIN, 0};
  if (::poll(&wait_for_listener, 1, 10000) == 1) (void)sandbox::control::receive(ours.get(), text, sizeof text, listener);
  if (!listener) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    ADD_FAILURE() << "no listener from the child (exit " << exit_code(status) << ")";
    return out;
  }
  Observer observer(std::move(listener), watch, std::make_shared<Observations>());
  if (tcp_connect) observer.on_tcp_connect(tcp_connect);
  UniqueFd child(static_cast<int>(check_syscall(::syscall(SYS_pidfd_open, pid, 0), "pidfd_open")));
  bool observing = true;
  while (true) {
    pollfd fds[2] = {{observing ? observer.fd() : -1, POLLIN, 0}, {child.get(), POLLIN, 0}};
    if (::poll(fds, 2, 10000) <= 0) {
      ::kill(pid, SIGKILL);
      ADD_FAILURE() << "the watched child hung";
    }
    if (fds[0].revents != 0) observing = observer.process(fds[0].revents);
    if (fds[1].revents != 0) break;
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  out.status = exit_code(status);
  out.seen = observer.observations();
  return out;
}

const PathRecord* record(const Watched& w, const std::string& path) {
  const auto it = w.seen.paths.find(path);
  return it == w.seen.paths.end() ? nullptr : &it->second;
}

std::string canonical(const std::string& path) { return std::filesystem::canonical(path).string(); }

}  // namespace

TEST(AuditObserver, FilesAreRecordedAndEveryCallContinues) {
  test::TempDir dir;
  const std::string root = canonical(dir.path());
  dir.write("existing.txt", "data");
  dir.write("target.txt", "t");
  dir.write("old.txt", "o");
  dir.write("gone.txt", "g");
  std::filesystem::create_symlink(root + "/target.txt", root + "/link");
  const auto w = run_watched(test_watch(), [&] {
    char buf[8];
    const int in = ::open((root + "/existing.txt").c_str(), O_RDONLY | O_CLOEXEC);
    if (in < 0 || ::read(in, buf, 4) != 4) return 1;
    const int out = ::open((root + "/new.txt").c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (out < 0) return 2;
    if (::mkdir((root + "/made").c_str(), 0755) != 0) return 3;
    // Relative to a directory fd, and to the working directory.
    const int made = ::open((root + "/made").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (made < 0 || ::mkdirat(made, "sub", 0755) != 0) return 4;
    if (::chdir(root.c_str()) != 0 || ::rename("old.txt", "made/renamed.txt") != 0) return 5;
    if (::unlink("gone.txt") != 0) return 6;
    const int via_link = ::open("link", O_RDONLY | O_CLOEXEC);
    if (via_link < 0) return 7;
    if (::mkdir("made", 0755) == 0 || errno != EEXIST) return 8;  // exists: creates nothing
    return 0;
  });
  ASSERT_EQ(w.status, 0) << "a watched call did not do what it does unwatched";
  ASSERT_NE(record(w, root + "/existing.txt"), nullptr);
  EXPECT_EQ(record(w, root + "/existing.txt")->uses, kRead);
  EXPECT_TRUE(record(w, root + "/existing.txt")->existed);
  ASSERT_NE(record(w, root + "/new.txt"), nullptr);
  EXPECT_TRUE(record(w, root + "/new.txt")->created);
  ASSERT_NE(record(w, root + "/made/sub"), nullptr);
  EXPECT_TRUE(record(w, root + "/made/sub")->created);
  EXPECT_EQ(record(w, root + "/old.txt")->uses, kRemove);
  EXPECT_EQ(record(w, root + "/made/renamed.txt")->uses, kCreate);
  EXPECT_EQ(record(w, root + "/gone.txt")->uses, kRemove);
  // Through the symlink: the file it names, and the name it was opened by.
  ASSERT_NE(record(w, root + "/target.txt"), nullptr);
  EXPECT_EQ(record(w, root + "/target.txt")->written, root + "/link");
  EXPECT_EQ(record(w, root + "/made")->uses & kCreate, kCreate);
  EXPECT_TRUE(record(w, root + "/made")->created);
  EXPECT_EQ(w.seen.unreadable, 0u);
  EXPECT_GE(w.seen.notifications, 9u);
}

TEST(AuditObserver, WhatIsCachedFollowsWhatTheCommandChanges) {
  test::TempDir dir;
  const std::string root = canonical(dir.path());
  std::filesystem::create_directories(root + "/a");
  std::filesystem::create_directories(root + "/b");
  dir.write("a/x", "a");
  dir.write("b/x", "b");
  dir.write("regen.txt", "old");
  const auto w = run_watched(test_watch(), [&] {
    // Read, removed, made again: the second making is a creation.
    if (::open((root + "/regen.txt").c_str(), O_RDONLY | O_CLOEXEC) < 0) return 11;
    if (::unlink((root + "/regen.txt").c_str()) != 0) return 12;
    if (::open((root + "/regen.txt").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644) < 0) return 13;
    // Looked for while absent, then created, then read: created by the command.
    if (::open((root + "/later.txt").c_str(), O_RDONLY | O_CLOEXEC) != -1) return 1;
    const int made = ::open((root + "/later.txt").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (made < 0 || ::open((root + "/later.txt").c_str(), O_RDONLY | O_CLOEXEC) < 0) return 2;
    // The same relative name from two working directories.
    if (::chdir((root + "/a").c_str()) != 0 || ::open("x", O_RDONLY | O_CLOEXEC) < 0) return 3;
    if (::chdir((root + "/b").c_str()) != 0 || ::open("x", O_RDONLY | O_CLOEXEC) < 0) return 4;
    // A directory renamed with a file in it: the file is found at its new place.
    if (::open((root + "/d1/f").c_str(), O_RDONLY | O_CLOEXEC) != -1) return 5;
    if (::mkdir((root + "/d1").c_str(), 0755) != 0) return 6;
    if (::open((root + "/d1/f").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644) < 0) return 7;
    if (::rename((root + "/d1").c_str(), (root + "/d2").c_str()) != 0) return 8;
    if (::open((root + "/d2/f").c_str(), O_RDONLY | O_CLOEXEC) < 0) return 9;
    if (::open((root + "/d1/f").c_str(), O_RDONLY | O_CLOEXEC) != -1) return 10;
    return 0;
  });
  ASSERT_EQ(w.status, 0);
  ASSERT_NE(record(w, root + "/later.txt"), nullptr);
  EXPECT_TRUE(record(w, root + "/later.txt")->created);
  EXPECT_EQ(record(w, root + "/later.txt")->uses, kRead | kCreate);
  EXPECT_NE(record(w, root + "/a/x"), nullptr);
  EXPECT_NE(record(w, root + "/b/x"), nullptr);
  ASSERT_NE(record(w, root + "/d2/f"), nullptr);
  EXPECT_TRUE(record(w, root + "/d2/f")->existed);  // first touched after the rename, when it was there
  EXPECT_EQ(record(w, root + "/d1")->uses, kCreate | kRemove);
  EXPECT_EQ(record(w, root + "/regen.txt")->uses, kRead | kRemove | kCreate);
}

TEST(AuditObserver, ExecIsRecordedWithTheProgramItRuns) {
  const auto w = run_watched(test_watch(), [] {
    const char* argv[] = {"true", nullptr};
    ::execv("/bin/true", const_cast<char* const*>(argv));
    return 99;
  });
  EXPECT_EQ(w.status, 0);
  EXPECT_EQ(w.seen.executed.count(canonical("/bin/true")), 1u);
  ASSERT_NE(record(w, canonical("/bin/true")), nullptr);
  EXPECT_EQ(record(w, canonical("/bin/true"))->uses & kExec, kExec);
}

TEST(AuditObserver, ConnectionsAreRecordedAndOwnServersRecognised) {
  UniqueFd server(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(server.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(server.get(), 4), 0);
  socklen_t len = sizeof addr;
  ASSERT_EQ(::getsockname(server.get(), reinterpret_cast<sockaddr*>(&addr), &len), 0);
  const std::uint16_t port = ntohs(addr.sin_port);
  std::uint16_t own_port = 0;
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  UniqueFd port_read(pipe_fds[0]), port_write(pipe_fds[1]);
  const auto w = run_watched(test_watch(), [&] {
    // A host service (the test's server): a network.forward candidate.
    const int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (::connect(s, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) return 1;
    // A server of its own on a port the kernel picks, and a client of it.
    const int own = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in local{};
    local.sin_family = AF_INET;
    local.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(own, reinterpret_cast<const sockaddr*>(&local), sizeof local) != 0 || ::listen(own, 1) != 0) return 2;
    socklen_t l = sizeof local;
    if (::getsockname(own, reinterpret_cast<sockaddr*>(&local), &l) != 0) return 3;
    const int client = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (::connect(client, reinterpret_cast<const sockaddr*>(&local), sizeof local) != 0) return 4;
    // sendto with a destination is watched too.
    const int u = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (::sendto(u, "x", 1, 0, reinterpret_cast<const sockaddr*>(&local), sizeof local) != 1) return 5;
    const std::uint16_t p = ntohs(local.sin_port);
    return ::write(port_write.get(), &p, sizeof p) == sizeof p ? 0 : 6;
  });
  ASSERT_EQ(w.status, 0);
  ASSERT_EQ(::read(port_read.get(), &own_port, sizeof own_port), static_cast<ssize_t>(sizeof own_port));
  const Destination host_service{AF_INET, "127.0.0.1", port};
  const Destination own{AF_INET, "127.0.0.1", own_port};
  ASSERT_EQ(w.seen.destinations.count(host_service), 1u);
  EXPECT_EQ(w.seen.destinations.at(host_service), std::set<std::string>{"connect"});
  ASSERT_EQ(w.seen.destinations.count(own), 1u);
  EXPECT_EQ(w.seen.destinations.at(own), (std::set<std::string>{"connect", "sendto"}));
  EXPECT_EQ(w.seen.bound_ports, std::set<std::uint16_t>{own_port});
}

TEST(AuditObserver, TcpConnectsAreAnnouncedBeforeTheyGoOn) {
  // Bound, not listening: a connect() succeeds only if the hook (which
  // starts listening) ran before the call went on.
  UniqueFd server(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(server.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  socklen_t len = sizeof addr;
  ASSERT_EQ(::getsockname(server.get(), reinterpret_cast<sockaddr*>(&addr), &len), 0);
  std::vector<std::string> told;
  const auto w = run_watched(
      test_watch(),
      [&] {
        const int u = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (::connect(u, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) return 1;
        if (::sendto(u, "x", 1, 0, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 1) return 2;
        const int t = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        return ::connect(t, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0 ? 0 : 3;
      },
      [&](const Destination& to, const Observer::Answer& answer) {
        told.push_back(to.text());
        (void)::listen(server.get(), 4);
        answer(0);
      });
  EXPECT_EQ(w.status, 0) << "the TCP connect found the listener the hook made";
  EXPECT_EQ(told, std::vector<std::string>{"127.0.0.1:" + std::to_string(ntohs(addr.sin_port))})
      << "UDP connect() and sendto() are not announced";
}

// Audit's gateway makes the connection from the host first: when nothing
// answers there, the command's connect() fails with that errno, answered
// after the hook has returned (the call waits in the kernel meanwhile).
TEST(AuditObserver, ATcpConnectTheHookRefusesFailsWithItsErrno) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(9);
  Observer::Answer later;
  const auto w = run_watched(
      test_watch(),
      [&] {
        const int t = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (::connect(t, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0) return 1;
        return errno == ECONNREFUSED ? 0 : 2;
      },
      [&](const Destination&, Observer::Answer answer) {
        later = std::move(answer);
        later(ECONNREFUSED);
      });
  EXPECT_EQ(w.status, 0) << "connect() failed with the hook's ECONNREFUSED";
}

TEST(AuditObserver, CallsTheBaseRefusesAreCountedAndStillRun) {
  const pid_t parent = ::getpid();
  const auto w = run_watched(test_watch({"getppid"}), [&] {
    if (::syscall(SYS_getppid) != parent) return 1;
    if (::syscall(SYS_getppid) != parent) return 2;
    return 0;
  });
  ASSERT_EQ(w.status, 0);
  ASSERT_EQ(w.seen.denied_calls.count("getppid"), 1u);
  EXPECT_EQ(w.seen.denied_calls.at("getppid"), 2u);
}

TEST(AuditObserver, AnUnreadableArgumentIsCountedAndTheCallFailsAsUsual) {
  const auto w = run_watched(test_watch(), [] {
    const long rc = ::syscall(SYS_openat, AT_FDCWD, reinterpret_cast<const char*>(8), O_RDONLY);
    return rc == -1 && errno == EFAULT ? 0 : 1;
  });
  EXPECT_EQ(w.status, 0);
  EXPECT_EQ(w.seen.unreadable, 1u);
}

// An enforced run that names its refusals (install-scripts): the profile's
// refused calls fail with its errno, are counted, and never run; the other
// calls go on.
TEST(AuditObserver, ARefusingWatchFailsTheProfilesRefusedCallsAndNamesThem) {
  policy::Syscalls profile;
  profile.deny = {"getppid"};
  profile.errno_value = EACCES;
  const auto watch = build_refusing_watch(profile);
  ASSERT_TRUE(watch);
  EXPECT_EQ(refused_by_watch(*watch), std::vector<std::string>{"getppid"});
  const auto w = run_watched(*watch, [] {
    errno = 0;
    if (::syscall(SYS_getppid) != -1 || errno != EACCES) return 1;  // refused, with the profile's errno
    if (::syscall(SYS_getpid) <= 0) return 2;                       // not refused: goes on
    return 0;
  });
  ASSERT_EQ(w.status, 0);
  ASSERT_EQ(w.seen.denied_calls.count("getppid"), 1u);
  EXPECT_EQ(w.seen.denied_calls.at("getppid"), 1u);
}

// Refusals that are not a plain errno of a deny list stay in the seccomp
// filter, where the watch cannot see them: no refusing watch is offered.
TEST(AuditObserver, OnlyAnErrnoDenyListMovesToTheWatch) {
  policy::Syscalls allow_list;
  allow_list.default_action = policy::SyscallDefault::deny;
  allow_list.allow = {"read"};
  EXPECT_FALSE(build_refusing_watch(allow_list));
  policy::Syscalls kills;
  kills.deny = {"ptrace"};
  kills.action = policy::SyscallAction::kill;
  EXPECT_FALSE(build_refusing_watch(kills));
  policy::Syscalls audit_only;
  audit_only.deny = {"ptrace"};
  EXPECT_TRUE(build_watch(audit_only).refuse_errno == 0);
  EXPECT_TRUE(refused_by_watch(build_watch(audit_only)).empty());
}
