// integration/probes/try-syscall.c under the default-deny filter: compiled
// with the system `cc`, run once without and once with the filter.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "sandbox/seccomp.hpp"
#include "seccomp_support.hpp"

namespace sc = airlock::seccomp;
namespace fs = std::filesystem;
using namespace airlock::seccomp::testing;

namespace {

const char* kProbeSource = AIRLOCK_SOURCE_DIR "/integration/probes/try-syscall.c";

// What try-syscall must print under default-deny with EPERM.
const std::map<std::string, std::string> kExpected = {
    {"tiocsti", "errno=EPERM"},
    {"tiocsti-high", "errno=EPERM"},
    {"tioclinux", "errno=EPERM"},
    {"io_uring_setup", "errno=EPERM"},
    {"ptrace", "errno=EPERM"},
    {"ptrace-attach", "errno=EPERM"},
    {"process_vm_readv", "errno=EPERM"},
    {"mount", "errno=EPERM"},
    {"umount2", "errno=EPERM"},
    {"pivot_root", "errno=EPERM"},
    {"chroot", "errno=EPERM"},
    {"unshare-user", "errno=EPERM"},
    {"unshare-mount", "errno=EPERM"},
    {"unshare-fs", "errno=EPERM"},  // @namespaces denies unshare
    {"clone-newuser", "errno=EPERM"},
    {"clone3", "errno=ENOSYS"},
    {"fork", "ok"},
    {"setns", "errno=EPERM"},
    {"bpf", "errno=EPERM"},
    {"keyctl", "errno=EPERM"},
    {"add_key", "errno=EPERM"},
    {"perf_event_open", "errno=EPERM"},
    {"userfaultfd", "errno=EPERM"},
    {"init_module", "errno=EPERM"},
    {"kexec_load", "errno=EPERM"},
    {"reboot", "errno=EPERM"},
    {"swapon", "errno=EPERM"},
    {"settimeofday", "errno=EPERM"},
    {"acct", "errno=EPERM"},
    {"open_by_handle_at", "errno=EPERM"},
    {"fanotify_init", "errno=EPERM"},
    {"iopl", "errno=EPERM"},
    {"i386", "signal=SIGSYS"},
    {"x32", "signal=SIGSYS"},
    {"getpid", "ok"},
    {"open", "ok"},
    {"exec", "ok"},
};

// Ends the child with 127 when the program cannot be started.
int run_program(const std::vector<std::string>& argv, const std::string& output) {
  const int fd = open(output.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0 || dup2(fd, STDOUT_FILENO) < 0) return 126;
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  execvp(args[0], args.data());
  return 127;
}

std::map<std::string, std::string> parse(const std::string& path) {
  std::map<std::string, std::string> results;
  std::ifstream in(path);
  std::string name;
  std::string result;
  while (in >> name >> result) results[name] = result;
  return results;
}

class SeccompProbe : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/airlock-probe-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    probe_ = (dir_ / "try-syscall").string();
    const Outcome cc = run_in_child(nullptr, [&] {
      return run_program(
          {"cc", "-std=c11", "-O2", "-Wall", "-Wextra", "-Werror", "-o", probe_, kProbeSource},
          (dir_ / "cc.log").string());
    });
    if (cc == Outcome::error(127)) GTEST_SKIP() << "no C compiler (cc) to build the probe";
    std::ifstream log(dir_ / "cc.log");
    std::stringstream text;
    text << log.rdbuf();
    ASSERT_EQ(cc, Outcome::ok()) << text.str();
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  std::map<std::string, std::string> run_probe(const sc::Filter* filter) {
    std::vector<std::string> argv{probe_};
    for (const auto& [name, _] : kExpected) argv.push_back(name);
    const std::string out = (dir_ / "out.txt").string();
    const Outcome status = run_in_child(filter, [&] { return run_program(argv, out); });
    EXPECT_EQ(status, Outcome::ok());
    return parse(out);
  }

  fs::path dir_;
  std::string probe_;
};

}  // namespace

TEST_F(SeccompProbe, EveryAttemptRefusedUnderDefaultDeny) {
  const std::map<std::string, std::string> control = run_probe(nullptr);
  ASSERT_EQ(control.size(), kExpected.size());
  // Without a filter, these end otherwise on any kernel and as any user:
  // the filtered result below is then the filter's doing.
  for (const char* name : {"tiocsti", "tiocsti-high", "tioclinux", "clone3", "mount", "keyctl",
                           "x32", "ptrace-attach", "settimeofday"}) {
    EXPECT_NE(control.at(name), kExpected.at(name)) << name;
  }
  const bool has_i386 = control.at("i386") == "ok";

  const sc::Filter filter = sc::build({.deny = expand_group("default-deny")});
  const std::map<std::string, std::string> filtered = run_probe(&filter);
  ASSERT_EQ(filtered.size(), kExpected.size());
  for (const auto& [name, expected] : kExpected) {
    if (name == "i386" && !has_i386) {
      EXPECT_NE(filtered.at(name), "ok") << "no i386 emulation here";
      continue;
    }
    EXPECT_EQ(filtered.at(name), expected)
        << name << " (without the filter: " << control.at(name) << ")";
  }
}

TEST_F(SeccompProbe, UnknownNameIsReported) {
  const std::string out = (dir_ / "unknown.txt").string();
  const Outcome status = run_in_child(nullptr, [&] {
    return run_program({probe_, "no-such-call", "getpid"}, out);
  });
  EXPECT_EQ(status, Outcome::error(2));
  const auto results = parse(out);
  EXPECT_EQ(results.at("no-such-call"), "unknown");
  EXPECT_EQ(results.at("getpid"), "ok");
}
