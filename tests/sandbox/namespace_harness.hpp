#pragma once
// Test support: run a function as PID 1 of fresh namespaces, the way the
// supervisor will (DESIGN.md, "The run, step by step"): a child unshares the
// namespaces, the parent writes its id map, the grandchild is PID 1 of the
// new pid namespace and runs the function. The test process itself is never
// restricted, and every process is reaped before the call returns.
//
// The function reports what it saw as "key=value" lines; it must not use
// gtest assertions (they would be recorded in another process).
#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "sandbox/namespaces.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"

namespace airlock::testing {

inline constexpr int kHarnessFailed = 90;
inline constexpr int kBodyThrew = 99;

struct SandboxRun {
  int status = -1;     // the function's return value, 128+N when killed by signal N
  std::string output;  // what the function reported

  std::map<std::string, std::string> values() const {
    std::map<std::string, std::string> out;
    std::istringstream lines(output);
    for (std::string line; std::getline(lines, line);) {
      const std::size_t eq = line.find('=');
      if (eq != std::string::npos) out[line.substr(0, eq)] = line.substr(eq + 1);
    }
    return out;
  }
};

inline void write_all(int fd, const std::string& data) {
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // the reader is gone; nothing left to tell
    done += static_cast<std::size_t>(n);
  }
}

inline std::string read_all(int fd) {
  std::string out;
  char buffer[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return out;
    out.append(buffer, static_cast<std::size_t>(n));
  }
}

inline int wait_for(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) == -1) {
    if (errno != EINTR) return -1;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

struct Pipe {
  UniqueFd read, write;
  Pipe() {
    int fds[2];
    check_syscall(::pipe2(fds, O_CLOEXEC), "pipe2");
    read.reset(fds[0]);
    write.reset(fds[1]);
  }
};

// Only async-signal-safe-ish work happens between fork and the body: the
// test process is single-threaded, so the child may allocate.
[[noreturn]] inline void run_child(Pipe& out, Pipe& ready, Pipe& go,
                                   const std::function<int(std::string&)>& body) {
  out.read.reset();
  ready.read.reset();
  go.write.reset();
  if (::unshare(namespaces::clone_flags()) != 0) {
    write_all(out.write.get(), std::string("harness=unshare failed: ") + std::strerror(errno) + "\n");
    ::_exit(kHarnessFailed);
  }
  char byte = 'r';
  if (::write(ready.write.get(), &byte, 1) != 1) ::_exit(kHarnessFailed);
  if (::read(go.read.get(), &byte, 1) != 1) ::_exit(kHarnessFailed);  // the map was not written
  const pid_t init = ::fork();
  if (init == -1) ::_exit(kHarnessFailed);
  if (init == 0) {
    std::string report;
    int code = kBodyThrew;
    try {
      code = body(report);
    } catch (const std::exception& e) {
      report += std::string("exception=") + e.what() + "\n";
    }
    write_all(out.write.get(), report);
    ::_exit(code);
  }
  out.write.reset();
  ::_exit(wait_for(init));
}

inline SandboxRun run_in_new_namespaces(const std::function<int(std::string&)>& body) {
  Pipe out, ready, go;
  const pid_t child = ::fork();
  if (child == -1) return SandboxRun{kHarnessFailed, "harness=fork failed\n"};
  if (child == 0) run_child(out, ready, go, body);

  out.write.reset();
  ready.write.reset();
  go.read.reset();
  SandboxRun run;
  char byte = 0;
  if (::read(ready.read.get(), &byte, 1) == 1) {
    try {
      const bool root = ::getuid() == 0;
      namespaces::write_id_map(child, namespaces::id_map_for(::getuid(), ::getgid(), root));
      if (::write(go.write.get(), &byte, 1) != 1) run.output += "harness=cannot release the child\n";
    } catch (const std::exception& e) {
      run.output += std::string("harness=") + e.what() + "\n";
    }
  }
  go.write.reset();  // unblocks a child still waiting when the map failed
  run.output += read_all(out.read.get());
  run.status = wait_for(child);
  return run;
}

// A temporary directory, removed with its contents at the end of the test.
class TempDir {
 public:
  explicit TempDir(const std::string& base) {
    std::string pattern = base + "/airlock-test-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) throw SystemError("mkdtemp " + pattern, errno);
    path_ = pattern;
    check_syscall(::chmod(path_.c_str(), 0755), "chmod " + path_);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ignored;  // best effort: a failed cleanup must not mask the test result
    std::filesystem::remove_all(path_, ignored);
  }
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

inline std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

inline std::string errno_name(int err) {
  const char* name = ::strerrorname_np(err);
  return name != nullptr ? name : std::to_string(err);
}

}  // namespace airlock::testing
