// The sandbox's init: PID 1 of the new pid namespace (or a plain subreaper
// without namespaces). It builds the filesystem view, starts the payload,
// relays signals to it, reaps every zombie, and exits with the payload's
// status once the payload is gone, taking everything else with it.
#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>

#include "gateway/inside.hpp"
#include "sandbox/capabilities.hpp"
#include "sandbox/dns_refuser.hpp"
#include "sandbox/limit_watch.hpp"
#include "sandbox/run.hpp"
#include "util/fd.hpp"

extern char** environ;

namespace airlock::sandbox {
namespace {

void ignore_signal(int) {}

// PR_SET_PDEATHSIG is cleared on credential changes, so it is set only now,
// after the id map; then the supervisor may already be gone, which the
// still-open sync pipe tells (it hangs up when the supervisor dies).
void die_with_supervisor(int sync_fd) {
  check_syscall(prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0), "prctl(PR_SET_PDEATHSIG)");
  pollfd p{sync_fd, POLLIN, 0};
  if (poll(&p, 1, 0) > 0 && (p.revents & (POLLHUP | POLLERR))) _exit(kExitOwnError);
}

// PID 1 only receives signals it has a handler for; blocking them as well
// turns them into signalfd events instead of interrupting anything.
UniqueFd block_relayed_signals() {
  sigset_t set;
  sigemptyset(&set);
  struct sigaction sa {};
  sa.sa_handler = ignore_signal;
  for (int sig : kRelayedSignals) {
    sigaddset(&set, sig);
    sigaction(sig, &sa, nullptr);
  }
  sigaddset(&set, SIGCHLD);
  sigaction(SIGCHLD, &sa, nullptr);
  check_syscall(sigprocmask(SIG_BLOCK, &set, nullptr), "sigprocmask");
  return UniqueFd(static_cast<int>(check_syscall(signalfd(-1, &set, SFD_CLOEXEC), "signalfd")));
}

// The supervisor asks for sockets in our network namespace (network.publish);
// a failure there must not stop init from supervising the payload.
int serve_gateway(int gateway_fd) {
  try {
    return gateway::serve_request(gateway_fd) ? gateway_fd : -1;
  } catch (const std::exception&) {
    return -1;
  }
}

int status_to_exit_code(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return kExitOwnError;
}

// Reaps every exited child; returns true when the payload was among them.
bool reap(pid_t payload, int& payload_status) {
  bool payload_done = false;
  while (true) {
    int status = 0;
    const pid_t pid = waitpid(-1, &status, WNOHANG);
    if (pid <= 0) break;
    if (pid == payload) {
      payload_status = status;
      payload_done = true;
    }
  }
  return payload_done;
}

// Our living children, from /proc/<pid>/task/<pid>/children (init has a
// single thread). Empty when the file is missing (CONFIG_PROC_CHILDREN=n).
std::vector<pid_t> children() {
  const auto self = std::to_string(getpid());
  std::ifstream in("/proc/" + self + "/task/" + self + "/children");
  std::vector<pid_t> out;
  for (pid_t pid = 0; in >> pid;) out.push_back(pid);
  return out;
}

// Without a pid namespace: kills every descendant and reaps it, but not
// ourselves. A process-group SIGKILL would kill init too (it leads the
// group), losing the payload's exit status, and would miss whatever left the
// group. As a child subreaper we inherit every orphan, so killing our
// children until none is left reaches the whole tree, level by level.
void kill_descendants() {
  while (true) {
    const auto alive = children();
    for (pid_t pid : alive) kill(pid, SIGKILL);
    // Nothing listed but a child not reaped yet: look again shortly.
    const pid_t reaped = waitpid(-1, nullptr, alive.empty() ? WNOHANG : 0);
    if (reaped < 0 && errno == ECHILD) return;
    if (reaped == 0) usleep(1000);
  }
}

[[noreturn]] void supervise_payload(const Spec& spec, pid_t payload, int signals, int gateway_fd,
                                   LimitWatcher& limits, DnsRefuser* dns) {
  int payload_status = 0;
  while (true) {
    // poll(2) skips a negative descriptor: without a gateway only signals count.
    pollfd fds[4] = {{signals, POLLIN, 0}, {gateway_fd, POLLIN, 0}, {limits.fd(), POLLIN, 0},
                     {dns ? dns->fd() : -1, POLLIN, 0}};
    if (poll(fds, 4, -1) < 0) continue;  // EINTR: nothing to do but wait again
    if (fds[1].revents != 0) gateway_fd = serve_gateway(gateway_fd);
    if (fds[2].revents & POLLIN) limits.tick();
    if (fds[3].revents & POLLIN) dns->serve();
    if ((fds[0].revents & POLLIN) == 0) continue;
    signalfd_siginfo info{};
    if (read(signals, &info, sizeof info) != static_cast<ssize_t>(sizeof info)) continue;
    const int sig = static_cast<int>(info.ssi_signo);
    if (sig == SIGCHLD) {
      if (!reap(payload, payload_status)) continue;
      break;
    }
    // Our own process-group signal comes back to us; relay only outside ones.
    if (static_cast<pid_t>(info.ssi_pid) == getpid()) continue;
    kill(-getpgrp(), sig);
  }
  // A last look, before what the payload left running is killed.
  limits.look_after_command();
  // The payload is gone: whatever it left running (daemons, stray children)
  // goes too. With a pid namespace kill(-1) reaches exactly the sandbox;
  // without one it would reach every process of the user.
  if (spec.namespaces) {
    kill(-1, SIGKILL);
    while (waitpid(-1, nullptr, 0) > 0 || errno == EINTR) {
    }
  } else {
    kill_descendants();
  }
  _exit(status_to_exit_code(payload_status));
}

// Overwrites the environment strings in place (they sit in the process's
// initial stack, which /proc/<pid>/environ shows) and drops them.
void wipe_inherited_environment() {
  for (char** e = environ; e && *e; ++e) explicit_bzero(*e, std::strlen(*e));
  clearenv();
}

}  // namespace

void report_to_supervisor(int error_fd, int code, const std::string& message) {
  const auto line = std::to_string(code) + " " + message;
  // Best effort by nature: if the supervisor is gone nobody can be told.
  if (write(error_fd, line.data(), line.size()) < 0) {
  }
}

void fail_to_supervisor(int error_fd, int code, const std::string& message) {
  report_to_supervisor(error_fd, code, message);
  _exit(code);
}

Pipe make_pipe() {
  int fds[2];
  check_syscall(pipe2(fds, O_CLOEXEC), "pipe2");
  return {UniqueFd(fds[0]), UniqueFd(fds[1])};
}

void wait_for_go_ahead(int fd) {
  char byte = 0;
  ssize_t n;
  do n = read(fd, &byte, 1);
  while (n < 0 && errno == EINTR);
  if (n != 1 || byte != kGoAhead) _exit(kExitOwnError);
}

namespace {

// Said by init itself, on the caller's stderr: the supervisor may have had
// threads when it forked us, so spdlog's locks are not ours to take.
void warn_hostname_kept(const std::string& wanted) {
  if (!spdlog::should_log(spdlog::level::warn)) return;
  char kept[HOST_NAME_MAX + 1] = {};
  if (gethostname(kept, sizeof kept - 1) != 0) kept[0] = '\0';
  const std::string line = "airlock: warning: the sandbox keeps the hostname \"" + std::string(kept) +
                           "\", not \"" + wanted +
                           "\": sethostname(2) is refused by a seccomp filter outside airlock (podman's default "
                           "profile refuses it without CAP_SYS_ADMIN); the UTS namespace is still the sandbox's own\n";
  if (::write(STDERR_FILENO, line.data(), line.size()) < 0) {
    // stderr is gone: nobody is left to tell.
  }
}

// The sandbox itself: the mount tree, hostname, loopback and the gateway's
// end inside, all in the namespaces init shares with the payload.
void build_sandbox(const Spec& spec, int gateway_fd) {
  if (!spec.namespaces) return;
  mounts::apply(spec.mounts);
  if (!namespaces::set_hostname(spec.hostname)) warn_hostname_kept(spec.hostname);
  if (loopback_by(spec) == LoopbackBy::init) namespaces::bring_up_loopback();
  // Before the payload goes on: its first connect() finds the routes and
  // listeners in place (queued until the supervisor accepts).
  if (spec.gateway) gateway::set_up_inside(*spec.gateway, gateway_fd);
}

}  // namespace

void init_main(const Spec& spec, int sync_fd, int error_fd, int gateway_fd, int notes_fd) {
  pid_t payload = -1;
  try {
    // init lives as long as the sandbox; it must not hold the caller's
    // environment (tokens included), which fork copied into it.
    wipe_inherited_environment();
    wait_for_go_ahead(sync_fd);
    die_with_supervisor(sync_fd);
    // Non-dumpable from here (the supervisor wrote our id maps before its
    // go-ahead, and a non-dumpable process's /proc files belong to root): no
    // process inside can ptrace us or read our memory, nor the payload's
    // before its execve.
    check_syscall(prctl(PR_SET_DUMPABLE, 0, 0, 0, 0), "prctl(PR_SET_DUMPABLE)");
    // A session of our own, without a controlling terminal: the payload
    // cannot TIOCSTI into the caller's terminal, and the terminal's signals
    // reach only the supervisor, which relays them once.
    check_syscall(setsid(), "setsid");
    // Orphans of the payload re-parent to us, so we can reap and kill them
    // (with a pid namespace init is their reaper anyway).
    if (!spec.namespaces)
      check_syscall(prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), "prctl(PR_SET_CHILD_SUBREAPER)");
    const auto signals = block_relayed_signals();
    // The payload is forked before the sandbox is built: it compiles its
    // seccomp filter on the other core while we build the mount tree, then
    // waits for `ready` (start-up time, integration/bench). It goes on only
    // on the byte we write once everything is in place; if we fail or die
    // first it reads EOF and ends without running anything.
    auto ready = make_pipe();
    payload = fork();
    if (payload < 0) throw SystemError("fork of the payload", errno);
    if (payload == 0) {
      close(sync_fd);
      close(notes_fd);
      if (gateway_fd >= 0) close(gateway_fd);
      ready.write.reset();
      payload_main(spec, error_fd, ready.read.get());
    }
    ready.read.reset();
    build_sandbox(spec, gateway_fd);
    // Before the go-ahead: a failure here is still reported, and nothing ran.
    LimitWatcher limits(spec.watch_limits, notes_fd);
    std::optional<DnsRefuser> dns;
    if (spec.dns_refuser) {
      dns.emplace(notes_fd);
      // From here init reads the command's DNS queries; without a gateway it
      // needs no capability but CAP_KILL any more.
      if (!spec.gateway) capabilities::keep_only_kill();
    }
    // EPIPE: the payload ended already (it told the supervisor why); it is
    // reaped below like any end. SIGPIPE is ignored for that: without a pid
    // namespace it would kill us.
    signal(SIGPIPE, SIG_IGN);
    if (write(ready.write.get(), &kGoAhead, 1) != 1 && errno != EPIPE) throw SystemError("write to the payload", errno);
    ready.write.reset();
    close(error_fd);
    supervise_payload(spec, payload, signals.get(), spec.gateway ? gateway_fd : -1, limits, dns ? &*dns : nullptr);
  } catch (const std::exception& e) {
    // Without a pid namespace our death would not take the waiting payload
    // with it; its EOF on `ready` would, but not before this message.
    if (payload > 0) {
      kill(payload, SIGKILL);
      waitpid(payload, nullptr, 0);
    }
    fail_to_supervisor(error_fd, kExitOwnError, std::string("sandbox set-up failed: ") + e.what());
  }
}

}  // namespace airlock::sandbox
