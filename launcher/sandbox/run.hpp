#pragma once
// Steps 3 onwards of DESIGN.md's run: clone into the namespaces, let the
// sandbox's init set up the view and start the payload, supervise it
// (signals, timeout) and return its exit status.
#include <chrono>
#include <csignal>
#include <optional>
#include <string>

#include "gateway/stats.hpp"
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

RunResult run(const Spec& spec);

// Internal: the processes inside. They never return. `gateway_fd` is init's
// end of the gateway channel (-1 without a gateway).
// `notes_fd`: where init says which limits were reached (limit_watch.hpp).
[[noreturn]] void init_main(const Spec& spec, int sync_fd, int error_fd, int gateway_fd, int notes_fd);
[[noreturn]] void payload_main(const Spec& spec, int error_fd, int ready_fd);

// Reports a set-up failure to the supervisor through the error pipe as
// "<exit code> <message>" and exits with that code.
[[noreturn]] void fail_to_supervisor(int error_fd, int code, const std::string& message);
// The report alone, for the payload once its seccomp filter is loaded.
void report_to_supervisor(int error_fd, int code, const std::string& message);

// A pipe, both ends close-on-exec.
struct Pipe {
  UniqueFd read, write;
};
Pipe make_pipe();

// The one byte each process of the sandbox waits for before it goes on: the
// supervisor's to init (id maps written), init's to the payload (sandbox
// built).
inline constexpr char kGoAhead = 'g';
// Blocks for the go-ahead on `fd`. Anything else (EOF: the sender failed or
// died first) ends the calling process with kExitOwnError, having run
// nothing; the sender reports why, if anyone does.
void wait_for_go_ahead(int fd);


}  // namespace airlock::sandbox
