// The seccomp layer in the kernel: each test applies a filter in a fork()ed
// child and tries a system call. Most checks first run the same call without
// a filter (the control), so that a refusal by the kernel itself (missing
// privilege, a sysctl) cannot pass for the filter's.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/userfaultfd.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <thread>

#include "sandbox/seccomp.hpp"
#include "seccomp_support.hpp"
#include "util/error.hpp"

namespace sc = airlock::seccomp;
using namespace airlock::seccomp::testing;

namespace {

// An address that faults, so that a call the filter lets through fails
// harmlessly with EFAULT instead of doing anything.
void* bad_pointer() { return reinterpret_cast<void*>(1); }

const sc::Filter& default_deny_filter() {
  static const sc::Filter f = sc::build({.deny = expand_group("default-deny")});
  return f;
}

// Runs call without and then with the filter: the filtered outcome must be
// `expected` and the control outcome must differ from it (otherwise the test
// would prove nothing here, and is skipped).
void expect_filtered(const sc::Filter& filter, const std::function<int()>& call, Outcome expected) {
  const Outcome control = run_in_child(nullptr, call);
  const Outcome filtered = run_in_child(&filter, call);
  EXPECT_EQ(filtered, expected) << "control (no filter): " << control;
  if (control == expected) {
    GTEST_SKIP() << "without a filter the call already ends as " << control
                 << " here, so this check cannot tell the filter's answer apart";
  }
}

int tiocsti_on_bad_fd() { return errno_of(ioctl(-1, TIOCSTI, "x")); }
int tiocsti_high_bits_on_bad_fd() {
  return errno_of(syscall(SYS_ioctl, -1, 0x100000000UL | TIOCSTI, "x"));
}
int tioclinux_on_bad_fd() { return errno_of(ioctl(-1, TIOCLINUX, bad_pointer())); }

// getpid through the i386 entry point; the kernel returns -errno in eax.
long i386_getpid() {
  long ret = 20;  // __NR_getpid in the i386 table
  asm volatile("int $0x80" : "+a"(ret) : : "memory", "r8", "r9", "r10", "r11");
  return ret;
}

constexpr Outcome kEperm = Outcome::error(EPERM);
constexpr Outcome kSigsys = Outcome::signal(SIGSYS);

// ---- personality: PER_LINUX and the query only

int set_personality(unsigned long value) { return errno_of(syscall(SYS_personality, value)); }

TEST(SeccompBehaviour, PersonalityQueryAndPerLinuxAreAllowed) {
  const sc::Filter filter = sc::build({});
  EXPECT_EQ(run_in_child(&filter, [] { return set_personality(0xffffffffUL); }), Outcome::ok());
  EXPECT_EQ(run_in_child(&filter, [] { return set_personality(PER_LINUX); }), Outcome::ok());
  // The kernel keeps the low 32 bits: a sign-extended query is the query.
  EXPECT_EQ(run_in_child(&filter, [] { return set_personality(~0UL); }), Outcome::ok());
}

TEST(SeccompBehaviour, PersonalityFlagsThatWeakenTheProcessAreRefused) {
  const sc::Filter filter = sc::build({});
  for (unsigned long value : {static_cast<unsigned long>(ADDR_NO_RANDOMIZE), static_cast<unsigned long>(READ_IMPLIES_EXEC),
                              static_cast<unsigned long>(MMAP_PAGE_ZERO), static_cast<unsigned long>(PER_LINUX32),
                              static_cast<unsigned long>(UNAME26), 0x7ffffffeUL, 0xfffffffeUL,
                              // upper bits the kernel would drop, leaving ADDR_NO_RANDOMIZE
                              0x100000000UL | ADDR_NO_RANDOMIZE}) {
    SCOPED_TRACE(value);
    // The control: without the filter the kernel takes it.
    EXPECT_EQ(run_in_child(nullptr, [&] { return set_personality(value); }), Outcome::ok());
    EXPECT_EQ(run_in_child(&filter, [&] { return set_personality(value); }), kEperm);
  }
}

// ---- address families: only those the profile names

int open_socket(long family, int type) {
  const long fd = syscall(SYS_socket, family, type | SOCK_CLOEXEC, 0);
  if (fd >= 0) ::close(static_cast<int>(fd));
  return errno_of(fd);
}

TEST(SeccompBehaviour, SocketFamiliesOutsideTheListFailWithEafnosupport) {
  const sc::Filter filter = sc::build({.socket_families = {AF_UNIX, AF_INET, AF_INET6, AF_NETLINK}});
  const Outcome refused = Outcome::error(EAFNOSUPPORT);
  EXPECT_EQ(run_in_child(&filter, [] { return open_socket(AF_UNIX, SOCK_STREAM); }), Outcome::ok());
  EXPECT_EQ(run_in_child(&filter, [] { return open_socket(AF_INET, SOCK_DGRAM); }), Outcome::ok());
  EXPECT_EQ(run_in_child(&filter, [] { return open_socket(AF_NETLINK, SOCK_RAW); }), Outcome::ok());
  int pair_errno = 0;
  EXPECT_EQ(run_in_child(&filter,
                         [&] {
                           int sv[2];
                           pair_errno = errno_of(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
                           return pair_errno;
                         }),
            Outcome::ok());
  // AF_VSOCK reaches the hypervisor host past the network namespace; with
  // upper bits set it is still AF_VSOCK to the kernel.
  expect_filtered(filter, [] { return open_socket(AF_VSOCK, SOCK_STREAM); }, refused);
  EXPECT_EQ(run_in_child(&filter, [] { return open_socket(0x100000000L | AF_VSOCK, SOCK_STREAM); }), refused);
  EXPECT_EQ(run_in_child(&filter, [] { return open_socket(AF_ALG, SOCK_SEQPACKET); }), refused);
  EXPECT_EQ(run_in_child(&filter, [] { return open_socket(AF_PACKET, SOCK_DGRAM); }), refused);
  EXPECT_EQ(run_in_child(&filter, [] { return open_socket(-1, SOCK_DGRAM); }), refused);
  EXPECT_EQ(run_in_child(&filter, [] { return open_socket(4096, SOCK_DGRAM); }), refused);
  EXPECT_EQ(run_in_child(&filter,
                         [] {
                           int sv[2];
                           return errno_of(socketpair(AF_TIPC, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv));
                         }),
            refused);
}

TEST(SeccompBehaviour, NoSocketFamilyListLeavesFamiliesToTheKernel) {
  const sc::Filter filter = sc::build({});
  EXPECT_EQ(run_in_child(&filter, [] { return open_socket(AF_ALG, SOCK_SEQPACKET); }),
            run_in_child(nullptr, [] { return open_socket(AF_ALG, SOCK_SEQPACKET); }));
}

}  // namespace

TEST(SeccompBehaviour, TiocstiRefusedOnATerminal) {
  const auto inject = [](unsigned long cmd) {
    const int fd = open("/dev/ptmx", O_RDWR | O_NOCTTY);
    if (fd < 0) return 200;
    const char c = 'x';
    const int result = errno_of(syscall(SYS_ioctl, fd, cmd, &c));
    winsize ws{};
    // An ordinary tty ioctl must still work: the rule looks at cmd.
    if (result == EPERM && ioctl(fd, TIOCGWINSZ, &ws) != 0) return 201;
    return result;
  };
  const sc::Filter f = sc::build({});
  EXPECT_EQ(run_in_child(&f, [&] { return inject(TIOCSTI); }), kEperm);
  EXPECT_EQ(run_in_child(&f, [&] { return inject(0x100000000UL | TIOCSTI); }), kEperm);
  EXPECT_EQ(run_in_child(&f, [&] { return inject(TIOCLINUX); }), kEperm);
  if (geteuid() == 0) {
    // Root may push input into any terminal: without the filter it works,
    // including with high bits the kernel drops.
    EXPECT_EQ(run_in_child(nullptr, [&] { return inject(0x100000000UL | TIOCSTI); }),
              Outcome::ok());
  }
}

TEST(SeccompBehaviour, TiocstiRefused) {
  expect_filtered(sc::build({}), tiocsti_on_bad_fd, kEperm);
}
TEST(SeccompBehaviour, TiocstiWithHighBitsRefused) {
  expect_filtered(sc::build({}), tiocsti_high_bits_on_bad_fd, kEperm);
}
TEST(SeccompBehaviour, TioclinuxRefused) {
  expect_filtered(sc::build({}), tioclinux_on_bad_fd, kEperm);
}

TEST(SeccompBehaviour, IoUringSetupRefused) {
  expect_filtered(
      default_deny_filter(), [] { return errno_of(syscall(SYS_io_uring_setup, 1, bad_pointer())); },
      kEperm);
}

TEST(SeccompBehaviour, PtraceTracemeRefused) {
  expect_filtered(
      default_deny_filter(), [] { return errno_of(ptrace(PTRACE_TRACEME, 0, 0, 0)); }, kEperm);
}

TEST(SeccompBehaviour, PtraceAttachRefused) {
  // pid 0 never exists: unfiltered this is ESRCH, never an attach.
  expect_filtered(
      default_deny_filter(), [] { return errno_of(ptrace(PTRACE_ATTACH, 0, 0, 0)); }, kEperm);
}

TEST(SeccompBehaviour, MountRefused) {
  expect_filtered(
      default_deny_filter(),
      [] {
        auto* p = static_cast<const char*>(bad_pointer());
        return errno_of(mount(p, p, p, 0, nullptr));
      },
      kEperm);
}

// The fixed rules alone (no deny list) refuse new namespaces.
TEST(SeccompBehaviour, UnshareUserRefused) {
  expect_filtered(
      sc::build({}), [] { return errno_of(unshare(CLONE_NEWUSER)); }, kEperm);
}

TEST(SeccompBehaviour, UnshareWithoutNamespaceFlagsAllowed) {
  const sc::Filter f = sc::build({});
  EXPECT_EQ(run_in_child(&f, [] { return errno_of(unshare(CLONE_FS | CLONE_FILES)); }),
            Outcome::ok());
}

TEST(SeccompBehaviour, AllowUserNamespacesLetsUnshareThrough) {
  const Outcome control = run_in_child(nullptr, [] { return errno_of(unshare(CLONE_NEWUSER)); });
  if (control != Outcome::ok()) GTEST_SKIP() << "no user namespaces here: " << control;
  const sc::Filter f = sc::build({.allow_user_namespaces = true});
  EXPECT_EQ(run_in_child(&f, [] { return errno_of(unshare(CLONE_NEWUSER)); }), Outcome::ok());
}

TEST(SeccompBehaviour, CloneWithNamespaceFlagRefused) {
  expect_filtered(
      sc::build({}),
      [] {
        const long pid = syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0);
        if (pid == 0) _exit(0);
        if (pid > 0) waitpid(static_cast<pid_t>(pid), nullptr, 0);
        return errno_of(pid > 0 ? 0 : -1);
      },
      kEperm);
}

TEST(SeccompBehaviour, Clone3AnsweredEnosys) {
  expect_filtered(
      sc::build({}), [] { return errno_of(syscall(SYS_clone3, bad_pointer(), 88)); },
      Outcome::error(ENOSYS));
}

TEST(SeccompBehaviour, ForkAndThreadsStillWork) {
  const auto spawn = [] {
    const pid_t pid = fork();
    if (pid == 0) _exit(7);
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) != pid || WEXITSTATUS(status) != 7) return 1;
    // glibc creates threads with clone3 and falls back to clone on ENOSYS.
    int ran = 0;
    std::thread([&] { ran = 1; }).join();
    return ran == 1 ? 0 : 2;
  };
  EXPECT_EQ(run_in_child(&default_deny_filter(), spawn), Outcome::ok());
  const sc::Filter kill_mode = sc::build({.deny = {"mount"}, .action = sc::Action::kill});
  EXPECT_EQ(run_in_child(&kill_mode, spawn), Outcome::ok());
}

TEST(SeccompBehaviour, BpfRefused) {
  expect_filtered(
      default_deny_filter(),
      [] { return errno_of(syscall(SYS_bpf, 0 /* BPF_MAP_CREATE */, bad_pointer(), 64)); }, kEperm);
}

TEST(SeccompBehaviour, KeyctlRefused) {
  expect_filtered(
      default_deny_filter(), [] { return errno_of(syscall(SYS_keyctl, -1, 0, 0, 0, 0)); }, kEperm);
}

TEST(SeccompBehaviour, PerfEventOpenRefused) {
  expect_filtered(
      default_deny_filter(),
      [] { return errno_of(syscall(SYS_perf_event_open, bad_pointer(), 0, -1, -1, 0)); }, kEperm);
}

TEST(SeccompBehaviour, UserfaultfdRefused) {
  // UFFD_USER_MODE_ONLY passes the privilege check, the unknown bit then
  // makes an unfiltered call fail with EINVAL.
  expect_filtered(
      default_deny_filter(),
      [] { return errno_of(syscall(SYS_userfaultfd, UFFD_USER_MODE_ONLY | 2)); }, kEperm);
}

TEST(SeccompBehaviour, I386SyscallKillsTheProcess) {
  const auto call = [] { return i386_getpid() == getpid() ? 0 : 1; };
  const Outcome control = run_in_child(nullptr, call);
  if (control != Outcome::ok()) GTEST_SKIP() << "no i386 emulation in this kernel: " << control;
  EXPECT_EQ(run_in_child(&default_deny_filter(), call), kSigsys);
  const sc::Filter baseline = sc::build({});
  EXPECT_EQ(run_in_child(&baseline, call), kSigsys);
}

TEST(SeccompBehaviour, X32SyscallKillsTheProcess) {
  const auto call = [] { return errno_of(syscall(__X32_SYSCALL_BIT | SYS_getpid)); };
  // Without CONFIG_X86_X32_ABI the control is ENOSYS; with it, success.
  expect_filtered(default_deny_filter(), call, kSigsys);
  const sc::Filter baseline = sc::build({});
  EXPECT_EQ(run_in_child(&baseline, call), kSigsys);
}

TEST(SeccompBehaviour, NormalWorkloadRuns) {
  const auto workload = [] {
    char path[] = "/tmp/airlock-seccomp-XXXXXX";
    const int fd = mkstemp(path);
    if (fd < 0) return 1;
    const char text[] = "hello";
    char back[sizeof text] = {};
    struct stat st {};
    const bool io = write(fd, text, sizeof text) == static_cast<ssize_t>(sizeof text) &&
                    pread(fd, back, sizeof back, 0) == static_cast<ssize_t>(sizeof back) &&
                    fstat(fd, &st) == 0 && st.st_size == static_cast<off_t>(sizeof text) &&
                    stat(path, &st) == 0;
    close(fd);
    unlink(path);
    if (!io || std::string(back) != text) return 2;
    const pid_t pid = fork();
    if (pid == 0) {
      execl("/bin/true", "true", static_cast<char*>(nullptr));
      _exit(127);
    }
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) != pid) return 3;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 4;
  };
  EXPECT_EQ(run_in_child(&default_deny_filter(), workload), Outcome::ok());
}

TEST(SeccompBehaviour, KillActionKillsWithSigsys) {
  const sc::Filter f = sc::build({.deny = expand_group("mount"), .action = sc::Action::kill});
  expect_filtered(
      f,
      [] {
        auto* p = static_cast<const char*>(bad_pointer());
        return errno_of(mount(p, p, p, 0, nullptr));
      },
      kSigsys);
}

TEST(SeccompBehaviour, LogActionLetsTheCallThrough) {
  const sc::Filter f = sc::build({.deny = {"mount"}, .action = sc::Action::log});
  const auto call = [] {
    auto* p = static_cast<const char*>(bad_pointer());
    return errno_of(mount(p, p, p, 0, nullptr));
  };
  EXPECT_EQ(run_in_child(&f, call), run_in_child(nullptr, call));
  EXPECT_EQ(run_in_child(&f, tiocsti_on_bad_fd), kEperm) << "fixed rules hold in log mode";
}

TEST(SeccompBehaviour, ErrnoIsConfigurable) {
  const sc::Filter f = sc::build({.deny = {"mount"}, .errno_value = EACCES});
  expect_filtered(
      f,
      [] {
        auto* p = static_cast<const char*>(bad_pointer());
        return errno_of(mount(p, p, p, 0, nullptr));
      },
      Outcome::error(EACCES));
}

// An allow list that allows ioctl, clone and unshare outright: the fixed
// rules, loaded as their own filter, still refuse TIOCSTI and namespaces.
TEST(SeccompBehaviour, AllowListDeniesTheRestAndKeepsFixedRules) {
  const sc::Filter f = sc::build(
      {.default_deny = true,
       .allow = {"exit_group", "exit", "getpid", "ioctl", "unshare", "brk", "mmap", "munmap",
                 "mprotect", "madvise", "futex", "rt_sigreturn", "rt_sigprocmask"}});
  const auto body = [] {
    if (syscall(SYS_getpid) != getpid()) return 1;
    if (errno_of(syscall(SYS_getppid)) != EPERM) return 2;
    if (tiocsti_on_bad_fd() != EPERM) return 3;
    if (errno_of(ioctl(-1, TIOCGWINSZ, bad_pointer())) != EBADF) return 4;
    if (errno_of(unshare(CLONE_NEWUSER)) != EPERM) return 5;
    if (errno_of(unshare(CLONE_FS)) != 0) return 6;
    if (errno_of(syscall(SYS_clone3, bad_pointer(), 88)) != ENOSYS) return 7;
    return 0;
  };
  EXPECT_EQ(run_in_child(&f, body), Outcome::ok()) << "the exit code numbers the failed check";
}

TEST(SeccompBehaviour, AllowListWithKillAction) {
  const sc::Filter f = sc::build({.default_deny = true,
                                  .allow = {"exit_group", "getpid", "brk", "mmap", "munmap"},
                                  .action = sc::Action::kill});
  EXPECT_EQ(run_in_child(&f, [] { return syscall(SYS_getpid) > 0 ? 0 : 1; }), Outcome::ok());
  EXPECT_EQ(run_in_child(&f, [] { return errno_of(syscall(SYS_getppid)); }), kSigsys);
}

TEST(SeccompBehaviour, ApplyRefusesWithoutNoNewPrivs) {
  // In a child: were the check missing, the filter would be loaded here.
  const Outcome outcome = run_in_child(nullptr, [] {
    try {
      sc::apply(sc::build({}));
    } catch (const airlock::Error& e) {
      return std::string(e.what()).find("no_new_privs") != std::string::npos ? 0 : 2;
    }
    return 1;
  });
  EXPECT_EQ(outcome, Outcome::ok());
}
