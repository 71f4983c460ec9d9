// init's steps (init.hpp); run.cpp calls them in order, and says why each
// stands where it does.
#include "sandbox/init.hpp"

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
#include <string>
#include <vector>

#include <spdlog/spdlog.h>

#include "gateway/inside.hpp"
#include "sandbox/capabilities.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/process.hpp"

extern char** environ;

namespace airlock::sandbox::init {
namespace {

// The supervisor asks for sockets in our network namespace (network.publish);
// a failure there must not stop init from supervising the payload.
int serve_gateway(int gateway_fd) {
  try {
    return gateway::serve_request(gateway_fd) ? gateway_fd : -1;
  } catch (const std::exception&) {
    return -1;
  }
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

}  // namespace

void supervise_payload(const Spec& spec, pid_t payload, int signals, int gateway_fd,
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
  _exit(exit_code_of(payload_status, kExitOwnError));
}

// Overwrites the environment strings in place (they sit in the process's
// initial stack, which /proc/<pid>/environ shows) and drops them.
void wipe_inherited_environment() {
  for (char** e = environ; e && *e; ++e) explicit_bzero(*e, std::strlen(*e));
  clearenv();
}

// PR_SET_PDEATHSIG is cleared on credential changes, so it is set only
// after the id map; by then the supervisor may already be gone, which the
// go-ahead pipe tells (it hangs up when the supervisor dies).
void die_with_supervisor(int go_ahead_fd) {
  check_syscall(prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0), "prctl(PR_SET_PDEATHSIG)");
  pollfd p{go_ahead_fd, POLLIN, 0};
  if (poll(&p, 1, 0) > 0 && (p.revents & (POLLHUP | POLLERR))) _exit(kExitOwnError);
}

// A non-dumpable process's /proc files belong to root, which is why the
// supervisor wrote our id map first.
void stop_being_dumpable() { check_syscall(prctl(PR_SET_DUMPABLE, 0, 0, 0, 0), "prctl(PR_SET_DUMPABLE)"); }

// The terminal's signals then reach only the supervisor, which relays them once.
void start_own_session() { check_syscall(setsid(), "setsid"); }

void become_subreaper() { check_syscall(prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), "prctl(PR_SET_CHILD_SUBREAPER)"); }

UniqueFd watch_signals() {
  std::vector<int> signals(std::begin(kRelayedSignals), std::end(kRelayedSignals));
  signals.push_back(SIGCHLD);
  return airlock::watch_signals(signals);
}

UniqueFd host_root_for_landlock(const Spec& spec) {
  if (!spec.namespaces || !spec.landlock) return UniqueFd();
  return UniqueFd(static_cast<int>(check_syscall(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC), "open the host's root")));
}

pid_t fork_payload() {
  const pid_t pid = fork();
  if (pid < 0) throw SystemError("fork of the payload", errno);
  return pid;
}

void close_in_payload(const Ends& ends, Pipe& ready) {
  close(ends.go_ahead);
  close(ends.notes);
  if (ends.gateway >= 0) close(ends.gateway);
  ready.write.reset();
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

}  // namespace

// The sandbox itself: the mount tree, hostname, loopback and the gateway's
// end inside, all in the namespaces init shares with the payload.
void build_view(const Spec& spec) {
  if (spec.namespaces) mounts::apply(spec.mounts);
}

void finish_sandbox(const Spec& spec, int gateway_fd) {
  if (!spec.namespaces) return;
  if (!namespaces::set_hostname(spec.hostname)) warn_hostname_kept(spec.hostname);
  if (loopback_by(spec) == LoopbackBy::init) namespaces::bring_up_loopback();
  // Before the payload goes on: its first connect() finds the routes and
  // listeners in place (queued until the supervisor accepts).
  if (spec.gateway) gateway::set_up_inside(*spec.gateway, gateway_fd);
}

std::unique_ptr<DnsRefuser> start_dns_refuser(const Spec& spec, int notes_fd) {
  if (!spec.dns_refuser) return nullptr;
  auto dns = std::make_unique<DnsRefuser>(notes_fd);
  // From here init parses the command's DNS queries; without a gateway it
  // needs no capability but CAP_KILL any more.
  if (!spec.gateway) capabilities::keep_only_kill();
  return dns;
}

void view_ready_to_payload(const UniqueFd& ready_write) {
  // EPIPE: the payload ended already (it told the supervisor why); it is
  // reaped like any end. SIGPIPE is ignored for that: without a pid
  // namespace it would kill us.
  signal(SIGPIPE, SIG_IGN);
  if (write(ready_write.get(), &kGoAhead, 1) != 1 && errno != EPIPE) throw SystemError("write to the payload", errno);
}

void go_ahead_to_payload(UniqueFd& ready_write) {
  view_ready_to_payload(ready_write);
  ready_write.reset();
}

void close_control(int control_fd) { close(control_fd); }

void fail(int control_fd, pid_t payload, const std::string& what) {
  // Without a pid namespace our death would not take the waiting payload
  // with it; its EOF on `ready` would, but not before this message.
  if (payload > 0) {
    kill(payload, SIGKILL);
    waitpid(payload, nullptr, 0);
  }
  control::fail(control_fd, kExitOwnError, "sandbox set-up failed: " + what);
}

}  // namespace airlock::sandbox::init
