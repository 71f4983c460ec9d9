// apply(): Landlock behaviour. Each test restricts a fork()ed child (never
// the test process), runs checks there and sends back a description of every
// failed check through a pipe.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/landlock.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstddef>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "kernel/features.hpp"
#include "sandbox/landlock.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"

namespace ll = airlock::landlock;

namespace {

using airlock::UniqueFd;

std::string errno_name(int err) { return std::strerror(err); }

// A fixture tree: ro/file, ro/other, rw/, secret/file, removed at the end.
class Tree {
 public:
  Tree() {
    std::string templ = (std::filesystem::temp_directory_path() / "airlock-ll-XXXXXX").string();
    if (::mkdtemp(templ.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    root_ = templ;
    for (const char* dir : {"ro", "rw", "secret"}) std::filesystem::create_directory(root_ / dir);
    for (const char* file : {"ro/file", "ro/other", "secret/file"}) {
      std::ofstream(root_ / file) << "content\n";
    }
  }
  ~Tree() {
    std::error_code ignored;  // best effort: a leftover temp dir is not a test failure
    std::filesystem::remove_all(root_, ignored);
  }
  Tree(const Tree&) = delete;
  Tree& operator=(const Tree&) = delete;
  std::string operator/(const std::string& rel) const { return (root_ / rel).string(); }

 private:
  std::filesystem::path root_;
};

using Check = std::function<std::string()>;

std::string write_all(int fd, const std::string& text) {
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return "write failed";
    done += static_cast<std::size_t>(n);
  }
  return "";
}

// Forks and runs `steps` in the child. Returns "" when every check passed,
// else what failed (an exception's message included).
std::string in_child(const Check& steps) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return "pipe2 failed";
  UniqueFd read_end(fds[0]);
  UniqueFd write_end(fds[1]);
  const pid_t pid = ::fork();
  if (pid < 0) return "fork failed";
  if (pid == 0) {
    read_end.reset();
    std::string result;
    try {
      result = steps();
    } catch (const std::exception& e) {
      result = std::string("exception: ") + e.what();
    }
    ::_exit(write_all(write_end.get(), result).empty() ? 0 : 3);
  }
  write_end.reset();
  std::string result;
  char buf[512];
  for (;;) {
    const ssize_t n = ::read(read_end.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    result.append(buf, static_cast<std::size_t>(n));
  }
  int status = 0;
  if (::waitpid(pid, &status, 0) != pid) return "waitpid failed";
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return result + " [child status " + std::to_string(status) + "]";
  }
  return result;
}

std::string set_no_new_privs() {
  return ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 ? "" : "PR_SET_NO_NEW_PRIVS failed";
}

// Forks; the child sets no_new_privs (unless told not to), applies `rs` and
// runs `body`. Returns "" when every check passed, else what failed.
std::string in_sandbox(const ll::Ruleset& rs, const Check& body, bool set_nnp = true) {
  return in_child([&]() -> std::string {
    if (set_nnp) {
      if (auto failed = set_no_new_privs(); !failed.empty()) return failed;
    }
    ll::apply(rs);
    return body();
  });
}

std::string all_of(std::initializer_list<std::string> failures) {
  std::string out;
  for (const auto& f : failures) {
    if (!f.empty()) out += f + "; ";
  }
  return out;
}

std::string expect_ok(long rc, const std::string& what) {
  return rc < 0 ? what + ": " + errno_name(errno) + ", expected success" : "";
}

std::string expect_errno(long rc, int err, const std::string& what) {
  if (rc >= 0) return what + ": succeeded, expected " + errno_name(err);
  if (errno != err) return what + ": " + errno_name(errno) + ", expected " + errno_name(err);
  return "";
}

std::string open_ok(const std::string& path, int flags) {
  UniqueFd fd(::open(path.c_str(), flags | O_CLOEXEC, 0644));
  return expect_ok(fd.get(), "open " + path);
}

std::string open_fails(const std::string& path, int flags, int err) {
  UniqueFd fd(::open(path.c_str(), flags | O_CLOEXEC, 0644));
  return expect_errno(fd.get(), err, "open " + path);
}

// Runs `path` in a grandchild and returns its exit code, or 100+errno when
// execve failed.
int run_program(const char* path) {
  const pid_t pid = ::fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    char* const argv[] = {const_cast<char*>(path), nullptr};
    ::execve(path, argv, environ);
    ::_exit(100 + errno);
  }
  int status = 0;
  if (::waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) return -1;
  return WEXITSTATUS(status);
}

std::string exec_result(const char* path, int expected) {
  const int got = run_program(path);
  if (got == expected) return "";
  return std::string("run ") + path + ": exit " + std::to_string(got) + ", expected " +
         std::to_string(expected);
}

// A TCP listener on an ephemeral 127.0.0.1 port, owned by the test process.
class Listener {
 public:
  Listener() : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    sockaddr_in addr = loopback(0);
    if (!fd_ || ::bind(fd_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(fd_.get(), 8) != 0) {
      throw std::runtime_error("cannot listen on 127.0.0.1");
    }
    socklen_t len = sizeof addr;
    if (::getsockname(fd_.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      throw std::runtime_error("getsockname failed");
    }
    port_ = ntohs(addr.sin_port);
  }
  std::uint16_t port() const { return port_; }

  static sockaddr_in loopback(std::uint16_t port) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return addr;
  }

 private:
  UniqueFd fd_;
  std::uint16_t port_ = 0;
};

long tcp_connect(std::uint16_t port) {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return -1;
  sockaddr_in addr = Listener::loopback(port);
  return ::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr);
}

long tcp_bind(std::uint16_t port) {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return -1;
  sockaddr_in addr = Listener::loopback(port);
  return ::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr);
}

// An abstract unix socket listener ("\0name"), owned by the test process.
class AbstractListener {
 public:
  AbstractListener() : fd_(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    name_ = "airlock-ll-test-" + std::to_string(::getpid());
    const sockaddr_un addr = address();
    if (!fd_ || ::bind(fd_.get(), reinterpret_cast<const sockaddr*>(&addr), length()) != 0 ||
        ::listen(fd_.get(), 8) != 0) {
      throw std::runtime_error("cannot listen on an abstract unix socket");
    }
  }
  long connect_to() const {
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd) return -1;
    const sockaddr_un addr = address();
    return ::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), length());
  }

 private:
  sockaddr_un address() const {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path + 1, name_.data(), name_.size());  // sun_path[0] = '\0'
    return addr;
  }
  socklen_t length() const {
    return static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name_.size());
  }
  UniqueFd fd_;
  std::string name_;
};

class LandlockApply : public ::testing::Test {
 protected:
  void SetUp() override { abi_ = airlock::kernel::landlock_abi(); }
  void require_abi(int needed, const char* what) {
    if (abi_ < needed) {
      GTEST_SKIP() << what << " needs Landlock ABI " << needed << "; this kernel has "
                   << (abi_ == 0 ? std::string("no Landlock") : "ABI " + std::to_string(abi_));
    }
  }
  ll::Ruleset for_kernel(const ll::Request& req) const { return ll::build(req, abi_); }
  int abi_ = 0;
  Tree tree_;
};

}  // namespace

TEST_F(LandlockApply, ReadsOnlyInsideReadPaths) {
  require_abi(1, "filesystem rules");
  if (IsSkipped()) return;
  ll::Request req;
  req.read = {tree_ / "ro"};
  const std::string failures = in_sandbox(for_kernel(req), [&] {
    return all_of({
        open_ok(tree_ / "ro/file", O_RDONLY),
        open_ok(tree_ / "ro", O_RDONLY | O_DIRECTORY),
        open_fails(tree_ / "secret/file", O_RDONLY, EACCES),
        open_fails(tree_ / "secret", O_RDONLY | O_DIRECTORY, EACCES),
        open_fails("/etc/passwd", O_RDONLY, EACCES),
    });
  });
  EXPECT_EQ(failures, "");
}

TEST_F(LandlockApply, ReadOnlyPathsAreNotWritable) {
  require_abi(1, "filesystem rules");
  if (IsSkipped()) return;
  ll::Request req;
  req.read = {tree_ / "ro"};
  req.write = {tree_ / "rw"};
  const int abi = abi_;
  const std::string failures = in_sandbox(for_kernel(req), [&] {
    return all_of({
        open_fails(tree_ / "ro/file", O_WRONLY, EACCES),
        open_fails(tree_ / "ro/new", O_WRONLY | O_CREAT, EACCES),
        expect_errno(::mkdir((tree_ / "ro/dir").c_str(), 0755), EACCES, "mkdir ro/dir"),
        expect_errno(::unlink((tree_ / "ro/other").c_str()), EACCES, "unlink ro/other"),
        abi >= 3 ? expect_errno(::truncate((tree_ / "ro/file").c_str(), 0), EACCES,
                                "truncate ro/file")
                 : "",
    });
  });
  EXPECT_EQ(failures, "");
  EXPECT_TRUE(std::filesystem::exists(tree_ / "ro/other"));
  EXPECT_EQ(std::filesystem::file_size(tree_ / "ro/file"), 8U);
}

TEST_F(LandlockApply, WritePathsAllowCreateRenameRemove) {
  require_abi(2, "renaming across directories (REFER)");
  if (IsSkipped()) return;
  ll::Request req;
  req.write = {tree_ / "rw"};
  const std::string failures = in_sandbox(for_kernel(req), [&] {
    return all_of({
        expect_ok(::mkdir((tree_ / "rw/a").c_str(), 0755), "mkdir rw/a"),
        expect_ok(::mkdir((tree_ / "rw/b").c_str(), 0755), "mkdir rw/b"),
        open_ok(tree_ / "rw/a/new", O_WRONLY | O_CREAT | O_TRUNC),
        expect_ok(::rename((tree_ / "rw/a/new").c_str(), (tree_ / "rw/b/new").c_str()),
                  "rename rw/a/new rw/b/new"),
        expect_ok(::symlink("new", (tree_ / "rw/b/link").c_str()), "symlink rw/b/link"),
        expect_ok(::unlink((tree_ / "rw/b/link").c_str()), "unlink rw/b/link"),
        expect_ok(::rmdir((tree_ / "rw/a").c_str()), "rmdir rw/a"),
    });
  });
  EXPECT_EQ(failures, "");
  EXPECT_TRUE(std::filesystem::exists(tree_ / "rw/b/new"));
}

TEST_F(LandlockApply, FileRulesAndMissingPathsAreAccepted) {
  require_abi(1, "filesystem rules");
  if (IsSkipped()) return;
  ll::Request req;
  req.read = {tree_ / "ro/file", tree_ / "does-not-exist"};
  req.write = {tree_ / "secret/file"};  // a file: only file rights are kept
  const std::string failures = in_sandbox(for_kernel(req), [&] {
    return all_of({
        open_ok(tree_ / "ro/file", O_RDONLY),
        open_fails(tree_ / "ro/other", O_RDONLY, EACCES),
        open_ok(tree_ / "secret/file", O_WRONLY),
        open_fails(tree_ / "secret/new", O_WRONLY | O_CREAT, EACCES),
    });
  });
  EXPECT_EQ(failures, "");
}

TEST_F(LandlockApply, ExecuteOnlyInsideExecPaths) {
  require_abi(1, "filesystem rules");
  if (IsSkipped()) return;
  ll::Request read_only;
  read_only.read = {"/"};
  EXPECT_EQ(in_sandbox(for_kernel(read_only), [] { return exec_result("/bin/true", 100 + EACCES); }),
            "");
  ll::Request exec_usr = read_only;
  // The ELF interpreter is opened for execution too; on merged-/usr systems it
  // lives under /usr like the binary.
  exec_usr.exec = {"/usr", "/lib", "/lib64"};
  EXPECT_EQ(in_sandbox(for_kernel(exec_usr), [] { return exec_result("/bin/true", 0); }), "");
}

TEST_F(LandlockApply, RefusesWithoutNoNewPrivs) {
  require_abi(1, "landlock_restrict_self");
  if (IsSkipped()) return;
  ll::Request req;
  req.read = {"/"};
  const std::string result = in_sandbox(
      for_kernel(req), [] { return std::string("apply returned"); }, /*set_nnp=*/false);
  EXPECT_NE(result.find("no_new_privs"), std::string::npos) << result;
}

TEST_F(LandlockApply, RefusesARulesetWithoutLandlock) {
  ll::Request req;
  req.read = {"/"};
  const std::string result =
      in_sandbox(ll::build(req, 0), [] { return std::string("apply returned"); });
  EXPECT_NE(result.find("not available"), std::string::npos) << result;
}

TEST_F(LandlockApply, TcpConnectOnlyToListedPorts) {
  require_abi(4, "TCP port rules");
  if (IsSkipped()) return;
  const Listener allowed;
  const Listener denied;
  ll::Request req;
  req.read = {"/"};
  req.restrict_tcp = true;
  req.connect_tcp = {{allowed.port(), allowed.port()}};
  const std::string failures = in_sandbox(for_kernel(req), [&] {
    return all_of({
        expect_ok(tcp_connect(allowed.port()), "connect to allowed port"),
        expect_errno(tcp_connect(denied.port()), EACCES, "connect to unlisted port"),
        expect_errno(tcp_bind(0), EACCES, "bind with no bind ports"),
    });
  });
  EXPECT_EQ(failures, "");
}

TEST_F(LandlockApply, TcpBindOnlyToListedPorts) {
  require_abi(4, "TCP port rules");
  if (IsSkipped()) return;
  const Listener other;
  ll::Request req;
  req.read = {"/"};
  req.restrict_tcp = true;
  req.bind_tcp = {{0, 0}};  // port 0: an ephemeral port chosen by the kernel
  const std::string failures = in_sandbox(for_kernel(req), [&] {
    return all_of({
        expect_ok(tcp_bind(0), "bind to an ephemeral port"),
        expect_errno(tcp_connect(other.port()), EACCES, "connect with no connect ports"),
    });
  });
  EXPECT_EQ(failures, "");
}

// The gateway's handoff: the supervisor makes every TCP connect() and
// bind(); one the kernel runs for the command (a descriptor swapped under a
// call it let through) is refused.
TEST_F(LandlockApply, RefuseTcpRefusesEveryConnectAndBind) {
  require_abi(4, "TCP port rules");
  if (IsSkipped()) return;
  const Listener outside;
  ll::Request req;
  req.read = {"/"};
  req.refuse_tcp = true;
  const std::string failures = in_sandbox(for_kernel(req), [&] {
    return all_of({
        expect_errno(tcp_connect(outside.port()), EACCES, "connect to a listening port"),
        expect_errno(tcp_bind(0), EACCES, "bind to an ephemeral port"),
    });
  });
  EXPECT_EQ(failures, "");
}

TEST_F(LandlockApply, SignalsToTheOutsideAreScoped) {
  require_abi(6, "signal scoping");
  if (IsSkipped()) return;
  ll::Request req;
  req.read = {"/"};
  req.scope_signals = true;
  EXPECT_EQ(in_sandbox(for_kernel(req),
                       [] { return expect_errno(::kill(::getppid(), 0), EPERM, "kill parent"); }),
            "");
  req.scope_signals = false;
  EXPECT_EQ(in_sandbox(for_kernel(req),
                       [] { return expect_ok(::kill(::getppid(), 0), "kill parent"); }),
            "");
}

TEST_F(LandlockApply, AbstractUnixSocketsOutsideAreScoped) {
  require_abi(6, "abstract unix socket scoping");
  if (IsSkipped()) return;
  const AbstractListener listener;
  ll::Request req;
  req.read = {"/"};
  req.scope_abstract_unix = true;
  EXPECT_EQ(in_sandbox(for_kernel(req),
                       [&] {
                         return expect_errno(listener.connect_to(), EPERM,
                                             "connect to outside abstract socket");
                       }),
            "");
  req.scope_abstract_unix = false;
  EXPECT_EQ(in_sandbox(for_kernel(req),
                       [&] { return expect_ok(listener.connect_to(), "connect to abstract socket"); }),
            "");
}

// An older ruleset on a newer kernel enforces exactly that older ABI: what
// not_enforced reports as missing really is missing.
// start() adds the rules on the host's own files while init builds the view
// (from the host's root), finish() the rest once it is built.
ll::Ruleset with_bases(ll::Ruleset rs, const std::map<std::string, std::string>& base_of) {
  for (auto& rule : rs.paths)
    if (const auto at = base_of.find(rule.path); at != base_of.end()) rule.host_base = at->second;
  return rs;
}

std::size_t index_of_rule(const ll::Ruleset& rs, const std::string& path) {
  for (std::size_t i = 0; i < rs.paths.size(); ++i)
    if (rs.paths[i].path == path) return i;
  throw std::runtime_error("no rule on " + path);
}

TEST_F(LandlockApply, RulesAddedBeforeTheViewAreEnforcedAsTheOthers) {
  require_abi(1, "filesystem rules");
  if (IsSkipped()) return;
  ll::Request req;
  req.read = {tree_ / "ro"};
  req.write = {tree_ / "rw"};
  req.exec = {"/usr"};
  const auto rs = with_bases(for_kernel(req), {{tree_ / "ro", tree_ / "ro"}, {tree_ / "rw", tree_ / "rw"}, {"/usr", "/"}});
  const std::string failures = in_child([&]() -> std::string {
    UniqueFd host_root(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
    auto pending = ll::start(rs, host_root.get());
    host_root.reset();
    std::string out;
    for (std::size_t i = 0; i < rs.paths.size(); ++i)
      if (!pending.added[i]) out += rs.paths[i].path + " was not added before the view; ";
    if (pending.bases.size() != 3) out += "expected three bases; ";
    out += set_no_new_privs();
    ll::finish(std::move(pending));
    return out + all_of({
                     open_ok(tree_ / "ro/file", O_RDONLY),
                     open_fails(tree_ / "ro/file", O_WRONLY, EACCES),
                     open_ok(tree_ / "rw/new", O_WRONLY | O_CREAT),
                     open_fails(tree_ / "secret/file", O_RDONLY, EACCES),
                     open_fails("/etc/passwd", O_RDONLY, EACCES),
                     open_ok("/usr/bin/env", O_RDONLY),
                 });
  });
  EXPECT_EQ(failures, "");
}

// A symbolic link below the base could lead elsewhere in the view than on
// the host: such a rule is added once the view exists, where it resolves
// exactly as a rule added by apply() does.
TEST_F(LandlockApply, ARuleThroughASymbolicLinkWaitsForTheView) {
  require_abi(1, "filesystem rules");
  if (IsSkipped()) return;
  ASSERT_EQ(::symlink("../rw", (tree_ / "ro/link").c_str()), 0);
  ll::Request req;
  req.read = {tree_ / "ro/link", tree_ / "ro/file"};
  const auto rs = with_bases(for_kernel(req), {{tree_ / "ro/link", tree_ / "ro"}, {tree_ / "ro/file", tree_ / "ro"}});
  const auto link = index_of_rule(rs, tree_ / "ro/link");
  const auto file = index_of_rule(rs, tree_ / "ro/file");
  const std::string failures = in_child([&]() -> std::string {
    UniqueFd host_root(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
    auto pending = ll::start(rs, host_root.get());
    std::string out;
    if (pending.added[link]) out += "the rule through a link was added before the view; ";
    if (!pending.added[file]) out += "the rule on a plain file was not added before the view; ";
    out += set_no_new_privs();
    ll::finish(std::move(pending));
    return out + all_of({
                     open_ok(tree_ / "rw", O_RDONLY | O_DIRECTORY),  // where the link leads, as apply() does
                     open_ok(tree_ / "ro/file", O_RDONLY),
                     open_fails(tree_ / "ro/other", O_RDONLY, EACCES),
                 });
  });
  EXPECT_EQ(failures, "");
}

// A rule added from the host's tree sits on the host's directory: when the
// view no longer shows that directory at the base (replaced meanwhile),
// finish() refuses, and nothing is restricted or run.
TEST_F(LandlockApply, ABaseReplacedWhileTheViewIsBuiltStopsTheRun) {
  require_abi(1, "filesystem rules");
  if (IsSkipped()) return;
  ll::Request req;
  req.read = {tree_ / "ro"};
  const auto rs = with_bases(for_kernel(req), {{tree_ / "ro", tree_ / "ro"}});
  const std::string failures = in_child([&]() -> std::string {
    UniqueFd host_root(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
    auto pending = ll::start(rs, host_root.get());
    std::filesystem::rename(tree_ / "ro", tree_ / "ro-moved");
    std::filesystem::create_directory(tree_ / "ro");
    if (auto failed = set_no_new_privs(); !failed.empty()) return failed;
    try {
      ll::finish(std::move(pending));
    } catch (const airlock::Error& e) {
      const std::string message = e.what();
      if (message.find(tree_ / "ro") == std::string::npos || message.find("nothing was run") == std::string::npos)
        return "unexpected message: " + message;
      return open_ok("/etc/passwd", O_RDONLY);  // not restricted
    }
    return "finish() accepted a replaced base";
  });
  EXPECT_EQ(failures, "");
}

TEST_F(LandlockApply, OlderAbiRulesetLeavesWhatItCannotEnforce) {
  require_abi(6, "comparing ABI 2/5 rulesets with ABI 3/6");
  if (IsSkipped()) return;
  ll::Request req;
  req.read = {tree_ / "ro"};
  const auto truncate_ro = [&] { return ::truncate((tree_ / "ro/file").c_str(), 0); };
  EXPECT_EQ(in_sandbox(ll::build(req, 3),
                       [&] { return expect_errno(truncate_ro(), EACCES, "truncate (ABI 3)"); }),
            "");
  EXPECT_EQ(in_sandbox(ll::build(req, 2),
                       [&] { return expect_ok(truncate_ro(), "truncate (ABI 2)"); }),
            "");
  EXPECT_EQ(in_sandbox(ll::build(req, 5),
                       [] { return expect_ok(::kill(::getppid(), 0), "kill parent (ABI 5)"); }),
            "");
}

// probe_abi() asks with LANDLOCK_CREATE_RULESET_VERSION; creating a real
// ruleset is an independent way to learn whether Landlock is there.
TEST(LandlockProbe, AgreesWithRulesetCreation) {
  const int abi = airlock::kernel::landlock_abi();
  EXPECT_GE(abi, 0);
  landlock_ruleset_attr attr{};
  attr.handled_access_fs = ll::fs::kReadFile;
  UniqueFd fd(static_cast<int>(::syscall(SYS_landlock_create_ruleset, &attr, sizeof attr, 0U)));
  EXPECT_EQ(abi > 0, static_cast<bool>(fd)) << "probe_abi() = " << abi;
}
