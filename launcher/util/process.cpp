#include "util/process.hpp"

#include <sys/signalfd.h>
#include <sys/wait.h>

#include "util/error.hpp"

namespace airlock {
namespace {

void note_signal(int) {}

}  // namespace

int exit_code_of(int wait_status, int otherwise) {
  if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
  if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
  return otherwise;
}

UniqueFd watch_signals(const std::vector<int>& signals, sigset_t* old_mask) {
  sigset_t set;
  sigemptyset(&set);
  struct sigaction sa {};
  sa.sa_handler = note_signal;
  for (int sig : signals) {
    sigaddset(&set, sig);
    check_syscall(sigaction(sig, &sa, nullptr), "sigaction");
  }
  check_syscall(sigprocmask(SIG_BLOCK, &set, old_mask), "sigprocmask");
  return UniqueFd(static_cast<int>(check_syscall(signalfd(-1, &set, SFD_CLOEXEC), "signalfd")));
}

}  // namespace airlock
