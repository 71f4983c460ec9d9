#pragma once
// Process helpers shared by the supervisor, init and the helpers that
// airlock runs: how a wait status becomes an exit code, and signals turned
// into descriptor events.
#include <signal.h>

#include <vector>

#include "util/fd.hpp"

namespace airlock {

// The shell's convention: the exit status, or 128 + the signal that killed
// it; `otherwise` for a status that is neither (stopped, continued).
int exit_code_of(int wait_status, int otherwise);

// Blocks `signals` and returns a close-on-exec signalfd that reads them.
// Each also gets a no-op handler first: PID 1 of a pid namespace receives
// only signals it has a handler for (pid_namespaces(7)), and a handler,
// unlike SIG_IGN, is reset at execve. `old_mask`, when given, receives the
// mask before. Throws airlock::SystemError.
UniqueFd watch_signals(const std::vector<int>& signals, sigset_t* old_mask = nullptr);

}  // namespace airlock
