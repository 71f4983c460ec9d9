#include "sandbox/helper.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "kernel/features.hpp"
#include "sandbox/landlock.hpp"
#include "sandbox/seccomp.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/path.hpp"

extern char** environ;

namespace airlock::sandbox {
namespace {

constexpr std::size_t kMaxOutput = 1024 * 1024;


// Where `path` really is (symlinks followed); the path itself when it does
// not exist yet.
std::string real_path(const std::string& path) {
  std::unique_ptr<char, decltype(&std::free)> real(::realpath(path.c_str(), nullptr), &std::free);
  return real ? std::string(real.get()) : path;
}

bool in_hostile(const std::string& path, const std::vector<std::string>& hostile) {
  const auto lexical = normalize_absolute(path);
  if (!lexical) return true;
  const auto real = real_path(path);
  return std::any_of(hostile.begin(), hostile.end(), [&](const std::string& place) {
    return path_within(*lexical, place) || path_within(real, place);
  });
}

bool name_matches(const std::string& name, const std::string& pattern) {
  if (pattern.ends_with('*')) return name.starts_with(pattern.substr(0, pattern.size() - 1));
  return name == pattern;
}

std::string find_program(const std::string& program, const std::string& path, const std::vector<std::string>& hostile) {
  std::size_t pos = 0;
  while (pos <= path.size()) {
    const auto next = std::min(path.find(':', pos), path.size());
    const auto dir = path.substr(pos, next - pos);
    pos = next + 1;
    if (dir.empty()) continue;
    const auto candidate = dir + "/" + program;
    struct stat st {};
    if (::stat(candidate.c_str(), &st) != 0 || !S_ISREG(st.st_mode) || ::access(candidate.c_str(), X_OK) != 0)
      continue;
    if (in_hostile(candidate, hostile)) continue;  // a symlink from a system directory into the project
    return candidate;
  }
  throw Error(program + " not found on PATH outside the project and the caches sandboxed steps write: airlock "
              "only runs a package manager installed where no step can plant one");
}

// The child's confinement, built before fork so that the child only applies it.
struct Confinement {
  landlock::Ruleset ruleset;
  std::vector<seccomp::Program> programs;
};

Confinement confinement() {
  landlock::Request request;
  request.read = {"/"};
  request.exec = {"/"};
  request.write = {"/dev/null"};
  request.refuse_tcp = true;
  Confinement c;
  c.ruleset = landlock::build(request, kernel::landlock_abi());
  seccomp::Spec spec;
  // setsid/setpgid: the helper stays in its process group, which is
  // killed when it ends, so it cannot leave a daemon behind.
  spec.deny = {"socket", "ptrace", "process_vm_readv", "process_vm_writev", "io_uring_setup", "io_uring_enter",
               "io_uring_register", "bpf", "keyctl", "add_key", "request_key", "setsid", "setpgid"};
  spec.errno_value = EACCES;
  c.programs = seccomp::compile(seccomp::build(spec));
  return c;
}

[[noreturn]] void exec_confined(const Confinement& c, int out_fd, const std::string& program,
                                std::vector<char*>& argv, std::vector<char*>& envp) {
  try {
    UniqueFd null(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    if (!null || ::dup2(null.get(), STDIN_FILENO) < 0 || ::dup2(out_fd, STDOUT_FILENO) < 0 || ::chdir("/") != 0)
      ::_exit(126);
    check_syscall(::setpgid(0, 0), "setpgid");
    check_syscall(::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0), "PR_SET_PDEATHSIG");
    check_syscall(::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs");
    if (c.ruleset.abi > 0) landlock::apply(c.ruleset);
    seccomp::apply(c.programs);
  } catch (...) {
    ::_exit(126);
  }
  ::execve(program.c_str(), argv.data(), envp.data());
  ::_exit(127);
}

std::string read_all(int fd, pid_t pid, std::chrono::seconds timeout, const std::string& shown) {
  std::string output;
  std::array<char, 4096> buf{};
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    pollfd p{fd, POLLIN, 0};
    const int ready = left.count() > 0 ? ::poll(&p, 1, static_cast<int>(left.count())) : 0;
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0 || output.size() > kMaxOutput) {
      (void)::kill(-pid, SIGKILL);  // its group: ours and still running; waitpid below reaps it
      (void)::waitpid(pid, nullptr, 0);
      throw Error("`" + shown + "` " + (ready < 0 ? "could not be read" : output.size() > kMaxOutput ? "printed too much" : "did not finish in " + std::to_string(timeout.count()) + " s") + "; it was stopped");
    }
    const auto n = ::read(fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    output.append(buf.data(), static_cast<std::size_t>(n));
  }
  return output;
}

}  // namespace

std::vector<std::string> hostile_places(const std::string& project, const std::string& home) {
  return {project, home + "/.cache", home + "/.npm", home + "/.ccache"};
}

std::string trusted_path(const std::string& caller_path, const std::vector<std::string>& hostile) {
  std::string out;
  std::size_t pos = 0;
  while (pos <= caller_path.size()) {
    const auto next = std::min(caller_path.find(':', pos), caller_path.size());
    const auto dir = caller_path.substr(pos, next - pos);
    pos = next + 1;
    // An empty entry or a relative one means the working directory.
    if (dir.empty() || !dir.starts_with('/') || in_hostile(dir, hostile)) continue;
    out += (out.empty() ? "" : ":") + dir;
  }
  return out;
}

std::vector<std::string> helper_environment(const Helper& helper, const std::vector<std::string>& caller_env,
                                            const std::vector<std::string>& hostile) {
  std::vector<std::string> out;
  std::string path;
  for (const auto& entry : caller_env) {
    const auto eq = entry.find('=');
    if (eq == std::string::npos) continue;
    const auto name = entry.substr(0, eq);
    const auto value = entry.substr(eq + 1);
    if (name == "PATH") {
      path = value;
      continue;
    }
    const bool pass = name == "HOME" || std::any_of(helper.pass_env.begin(), helper.pass_env.end(),
                                                     [&](const std::string& p) { return name_matches(name, p); });
    if (!pass) continue;
    const bool names_file = name == "HOME" || std::any_of(helper.path_env.begin(), helper.path_env.end(),
                                                          [&](const std::string& p) {
                                                            return strcasecmp(name.c_str(), p.c_str()) == 0;
                                                          });
    if (names_file && !value.empty()) {
      char cwd[4096];
      const std::string absolute = value.starts_with('/') ? value : std::string(::getcwd(cwd, sizeof cwd) ? cwd : "") + "/" + value;
      if (in_hostile(absolute, hostile))
        throw Error(name + "=" + value + " names a place a sandboxed step can write (the project or a cache "
                    "shipped profiles write); airlock does not let a package manager read its configuration from "
                    "there to decide where a token may go");
    }
    out.push_back(entry);
  }
  out.push_back("PATH=" + trusted_path(path, hostile));
  return out;
}

std::string run_helper(const Helper& helper, const std::vector<std::string>& hostile) {
  std::vector<std::string> caller_env;
  for (char** e = environ; e && *e; ++e) caller_env.emplace_back(*e);
  auto env = helper_environment(helper, caller_env, hostile);
  const auto program = find_program(helper.program, env.back().substr(5), hostile);
  std::string shown = helper.program;
  for (const auto& a : helper.args) shown += " " + (a.size() > 40 ? a.substr(0, 20) + "..." : a);
  std::vector<std::string> args{program};
  args.insert(args.end(), helper.args.begin(), helper.args.end());
  std::vector<char*> argv, envp;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  const auto confined = confinement();

  int fds[2];
  check_syscall(::pipe2(fds, O_CLOEXEC), "pipe2");
  UniqueFd read_end(fds[0]), write_end(fds[1]);
  const pid_t pid = ::fork();
  if (pid < 0) throw SystemError("fork " + helper.program, errno);
  if (pid == 0) exec_confined(confined, write_end.get(), program, argv, envp);
  write_end.reset();
  auto output = read_all(read_end.get(), pid, helper.timeout, shown);
  // Wait for it to end without reaping it: while its leader is a zombie the
  // group's id cannot be reused, so killing the group hits only what it
  // started (it cannot leave the group), then reap it.
  siginfo_t info{};
  while (::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOWAIT) < 0)
    if (errno != EINTR) throw SystemError("waitid " + helper.program, errno);
  if (::kill(-pid, SIGKILL) != 0 && errno != ESRCH) throw SystemError("kill the helper's process group", errno);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) throw SystemError("waitpid " + helper.program, errno);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw Error("`" + shown + "` (" + program + ", run isolated in /) failed (" +
                (WIFEXITED(status) ? "exit status " + std::to_string(WEXITSTATUS(status))
                                   : "signal " + std::to_string(WTERMSIG(status))) +
                ")");
  return output;
}

}  // namespace airlock::sandbox
