#pragma once
// The sandbox's control channel: the payload's (and init's) way back to the
// supervisor. It carries one set-up failure ("<exit code> <message>") and
// the seccomp listeners the supervisor serves: the gateway's handoff
// listener and, in audit mode, the monitor's (sandbox/monitor.hpp). A
// SOCK_SEQPACKET socket pair, because a descriptor travels only over a
// socket (SCM_RIGHTS), and message boundaries keep a listener's message
// apart from error text. Both ends close on exec: the command never holds
// it, and the supervisor reads end of file once the command has started.
//
// The pipes beside it carry one byte each (the go-ahead) or init's notes
// (limit_watch.hpp), which no descriptor ever rides on.
#include <sys/types.h>

#include <cstddef>
#include <string>
#include <utility>

#include "util/fd.hpp"

namespace airlock::sandbox {

// A pipe, both ends close-on-exec.
struct Pipe {
  UniqueFd read, write;
};
Pipe make_pipe();

// The one byte each process of the sandbox waits for before it goes on: the
// supervisor's to init (id maps written), init's to the payload (sandbox
// built).
inline constexpr char kGoAhead = 'g';
// Sends the go-ahead on `fd`. Throws airlock::SystemError.
void send_go_ahead(int fd, const char* to_whom);
// Blocks for the go-ahead on `fd`. Anything else (EOF: the sender failed or
// died first) ends the calling process with kExitOwnError, having run
// nothing; the sender reports why, if anyone does.
void wait_for_go_ahead(int fd);

namespace control {

// {supervisor end, sandbox end}, both close-on-exec.
std::pair<UniqueFd, UniqueFd> make_pair();

// Sandbox side. Throws airlock::SystemError.
void send_listener(int channel, int listener);

// Sandbox side: reports a set-up failure as "<exit code> <message>".
// Nobody is left to tell when the supervisor is gone, so it cannot fail.
void report_failure(int channel, int code, const std::string& message);
// The report, then _exit(code).
[[noreturn]] void fail(int channel, int code, const std::string& message);

// Supervisor side: one message. When it carries a listener that is
// returned in `listener` and the result is 0 bytes of text (not end of
// file: check `listener` first). Returns what recvmsg(2) returns otherwise.
ssize_t receive(int channel, char* buffer, std::size_t size, UniqueFd& listener);

}  // namespace control
}  // namespace airlock::sandbox
