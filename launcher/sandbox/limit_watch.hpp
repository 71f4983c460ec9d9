#pragma once
// Whether the sandbox reached a limit: init looks twice a second while the
// command runs, and once more when it ends, and tells the supervisor on a
// pipe of its own ("processes\n", "tmp\n", each at most once), which says
// so on stderr and in the report (RunResult::limits_reached). A fork that
// fails at pid_max and a write that fails on a full tmpfs leave no trace
// the supervisor could read afterwards: the pid namespace and the tmpfs are
// gone with the sandbox. A limit reached and left between two looks can be
// missed; a fork bomb or a filled /tmp stays there.
#include <cstdint>
#include <string>
#include <vector>

#include "sandbox/spec.hpp"
#include "util/fd.hpp"

namespace airlock::sandbox {

// Tasks (threads included) of the pid namespace whose procfs is mounted at
// `proc`, init (pid 1) left out: what pid_max counts against the command.
std::uint64_t count_tasks(const std::string& proc = "/proc");

// Whether the filesystem at `path` has no block or no inode left for an
// unprivileged writer.
bool filesystem_full(const std::string& path);

class LimitWatcher {
 public:
  // Watches nothing (fd() is -1) when `watch` names no limit.
  LimitWatcher(const Spec::LimitWatch& watch, int notes_fd);

  // A timerfd that is readable twice a second; -1 when nothing is watched.
  int fd() const { return timer_.get(); }
  // Reads the timer and looks.
  void tick();
  // The last look, once the command has exited and been reaped: its pid
  // was one of those the limit counts.
  void look_after_command();

 private:
  void look(std::uint64_t freed);
  void note(const char* what, bool& said);

  Spec::LimitWatch watch_;
  int notes_fd_;
  UniqueFd timer_;
  bool said_processes_ = false;
  bool said_tmp_ = false;
};

// The supervisor's end: everything init wrote on its notes pipe (limits
// reached, and the DNS refuser's names: dns_refuser.hpp), read to EOF.
std::string read_notes(int notes_fd);

// The limits `notes` name, each once.
std::vector<std::string> limits_in(const std::string& notes);

}  // namespace airlock::sandbox
