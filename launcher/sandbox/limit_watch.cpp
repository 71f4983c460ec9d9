#include "sandbox/limit_watch.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/statvfs.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <memory>
#include <string_view>

#include "util/error.hpp"

namespace airlock::sandbox {
namespace {

using Dir = std::unique_ptr<DIR, int (*)(DIR*)>;

bool is_pid(std::string_view name) {
  return !name.empty() && name.find_first_not_of("0123456789") == std::string_view::npos;
}

// Entries of a directory that name a pid; 0 when it is gone (the process
// exited meanwhile).
std::uint64_t count_pid_entries(int dir_fd) {
  Dir dir(::fdopendir(dir_fd), ::closedir);
  if (!dir) {
    ::close(dir_fd);
    return 0;
  }
  std::uint64_t n = 0;
  while (const dirent* e = ::readdir(dir.get()))
    if (is_pid(e->d_name)) ++n;
  return n;
}

}  // namespace

std::uint64_t count_tasks(const std::string& proc) {
  Dir root(::opendir(proc.c_str()), ::closedir);
  if (!root) throw SystemError("open " + proc, errno);
  std::uint64_t tasks = 0;
  while (const dirent* e = ::readdir(root.get())) {
    if (!is_pid(e->d_name) || std::string_view(e->d_name) == "1") continue;
    const int task = ::openat(::dirfd(root.get()), (std::string(e->d_name) + "/task").c_str(),
                              O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (task >= 0) tasks += count_pid_entries(task);
  }
  return tasks;
}

bool filesystem_full(const std::string& path) {
  struct statvfs st {};
  if (::statvfs(path.c_str(), &st) != 0) return false;
  return st.f_bavail == 0 || (st.f_files != 0 && st.f_favail == 0);
}

LimitWatcher::LimitWatcher(const Spec::LimitWatch& watch, int notes_fd) : watch_(watch), notes_fd_(notes_fd) {
  if (!watch_.any()) return;
  timer_ = UniqueFd(static_cast<int>(
      check_syscall(::timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK), "timerfd_create")));
  constexpr long kHalfSecond = 500'000'000;
  const itimerspec twice_a_second{{0, kHalfSecond}, {0, kHalfSecond}};
  check_syscall(::timerfd_settime(timer_.get(), 0, &twice_a_second, nullptr), "timerfd_settime");
}

void LimitWatcher::tick() {
  std::uint64_t expirations = 0;
  if (::read(timer_.get(), &expirations, sizeof expirations) < 0) return;
  look(0);
}

void LimitWatcher::look_after_command() {
  if (watch_.any()) look(1);
}

void LimitWatcher::look(std::uint64_t freed) {
  try {
    if (watch_.processes != 0 && !said_processes_ && count_tasks() + freed >= watch_.processes)
      note("processes", said_processes_);
  } catch (const Error&) {
    // /proc unreadable: nothing to say, the limit still holds.
  }
  if (watch_.tmp && !said_tmp_ && (filesystem_full("/tmp") || filesystem_full("/dev/shm"))) note("tmp", said_tmp_);
}

void LimitWatcher::note(const char* what, bool& said) {
  said = true;
  const std::string line = std::string(what) + "\n";
  // Best effort: a supervisor that is gone has nobody to tell.
  if (::write(notes_fd_, line.data(), line.size()) < 0) {
  }
}

std::string read_notes(int notes_fd) {
  std::string text;
  char buf[256];
  while (true) {
    const ssize_t n = ::read(notes_fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    text.append(buf, static_cast<std::size_t>(n));
  }
  return text;
}

std::vector<std::string> limits_in(const std::string& notes) {
  std::vector<std::string> limits;
  for (std::size_t start = 0, nl; (nl = notes.find('\n', start)) != std::string::npos; start = nl + 1) {
    std::string name = notes.substr(start, nl - start);
    if ((name == "processes" || name == "tmp") && std::find(limits.begin(), limits.end(), name) == limits.end())
      limits.push_back(std::move(name));
  }
  return limits;
}

}  // namespace airlock::sandbox
