#pragma once
// Steps 3 onwards of DESIGN.md's run: clone into the namespaces, let the
// sandbox's init set up the view and start the payload, supervise it
// (signals, timeout) and return its exit status. run.cpp reads as that run.
#include <chrono>
#include <csignal>
#include <optional>
#include <string>

#include "gateway/stats.hpp"
#include "sandbox/init.hpp"
#include "sandbox/monitor.hpp"
#include "sandbox/payload.hpp"
#include "sandbox/spec.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"

namespace airlock::sandbox {

struct RunResult {
  int exit_status = 0;      // what airlock exits with
  bool timed_out = false;
  int signal = 0;           // the payload was killed by this signal (0: exited)
  std::string setup_error;  // set when the sandbox could not be set up or exec failed
  std::chrono::milliseconds wall{};
  std::optional<gateway::Stats> network;  // when the egress gateway ran
  // Control files the run created, moved aside (leftovers.hpp).
  std::vector<MovedAside> left_behind;
  // Limits the sandbox reached while the command ran: "processes", "tmp"
  // (limit_watch.hpp).
  std::vector<std::string> limits_reached;
};

// After a run: moves aside the control files it created, says so, and makes
// the exit status kExitLeftControlFiles when there were any.
void refuse_left_behind(const Spec& spec, RunResult& result);

// The clone into new namespaces was refused by the kernel or a security
// module (EPERM, EINVAL, ENOSPC, EUSERS, EACCES): nothing was started.
class NamespacesUnavailable : public SystemError {
 public:
  using SystemError::SystemError;
};

// Runs the Spec's command in the sandbox and waits for it (run.cpp tells
// the steps). `monitor`: audit mode's observer of the command, or nullptr.
RunResult run(const Spec& spec, Monitor* monitor = nullptr);

// The processes inside, from the clone and the fork to execve (exported
// for tests). They never return.
[[noreturn]] void run_init(const Spec& spec, const init::Ends& ends, const Monitor* monitor);
[[noreturn]] void run_payload(const Spec& spec, const payload::Ends& ends, const Monitor* monitor);

}  // namespace airlock::sandbox
