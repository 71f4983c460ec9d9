// A run, from the Spec that prepare() built to the command's execve and
// back to airlock's exit status. Three processes take part:
//   - the supervisor: the invoking process, outside the sandbox;
//   - init: PID 1 of the sandbox's pid namespace, which builds the sandbox
//     and reaps what runs in it;
//   - the payload: init's child, which drops everything and becomes the
//     command.
// Their steps are below in the order they happen, one call each with the
// reason for its place; what each step does is in the file named for its
// process (supervisor.cpp, init.cpp, payload.cpp). The privilege sequence
// (DESIGN.md) reads top to bottom in run_payload().
#include "sandbox/run.hpp"

#include <sys/wait.h>

#include <chrono>
#include <csignal>
#include <memory>

#include "gateway/gateway.hpp"
#include "sandbox/control_channel.hpp"
#include "sandbox/init.hpp"
#include "sandbox/payload.hpp"
#include "sandbox/supervisor.hpp"

namespace airlock::sandbox {

void run_payload(const Spec& spec, const payload::Ends& ends, const Monitor* monitor) {
  try {
    // Defaults for everything init changed: the command starts as if exec'd by the caller.
    payload::reset_signals(spec.ignored_signals);
    // Nothing the supervisor or init opened (nor a descriptor to a secret the
    // caller leaked) may reach the command.
    payload::close_inherited_fds(spec.pass_fds, ends);
    // While init builds the mount tree (start-up time): libseccomp's work,
    // pure computation, and loopback in the network namespace we share.
    const auto seccomp_programs = payload::compile_seccomp(spec);
    if (loopback_by(spec) == LoopbackBy::payload) namespaces::bring_up_loopback();
    // Also meanwhile: the Landlock rules on the host's own files, opened in
    // the host's tree. The host's root is closed here, before the view.
    auto landlock = payload::start_landlock(spec, ends.host_root);
    // The bounding set counts only at execve; dropping from it needs
    // CAP_SETPCAP, which the rest of the capability step takes away.
    capabilities::drop_bounding_set(spec.caps);
    // init has built the view: the mount tree below is the one the command
    // sees. While init finishes the sandbox (network, DNS, limits), the
    // layers below go on.
    wait_for_go_ahead(ends.ready);
    // pivot_root moved our root, not our working directory (the caller's, in the old tree).
    payload::enter_working_directory(spec.cwd);
    // rlimits before capabilities: once they are gone a limit can only be lowered.
    limits::apply(spec.limits);
    // Switch user and drop capabilities before Landlock and seccomp: setresuid
    // and capset may be refused by the filter.
    capabilities::apply_after_bounding_set(spec.caps);
    // Required by Landlock and seccomp for unprivileged use; makes setuid binaries powerless.
    payload::set_no_new_privs();
    // The other Landlock rules once the final mount tree exists: rules bind to
    // the files present now.
    if (landlock) landlock::finish(std::move(*landlock));
    // Said before seccomp, which may refuse the calls the report needs.
    payload::fail_if_not_found(spec, ends.control);
    auto exec = payload::exec_arguments(spec);
    // The rest of the sandbox is in place: what the command reaches from its
    // first instruction on (a profile's own seccomp filter could refuse the read).
    wait_for_go_ahead(ends.ready);
    // seccomp last of the layers: everything above needed calls it may deny.
    payload::load_seccomp(seccomp_programs, ends.control);
    // Audit: the notification filter on top of it all, so that the first call
    // it sees is the command's own execve.
    if (monitor) control::send_listener(ends.control, monitor->load_filter().get());
    payload::exec(spec, exec, ends.control);
  } catch (const std::exception& e) {
    control::fail(ends.control, kExitOwnError, std::string("sandbox set-up failed in the payload: ") + e.what());
  }
}

void run_init(const Spec& spec, const init::Ends& ends, const Monitor* monitor) {
  pid_t payload = -1;
  try {
    // init lives as long as the sandbox: it must not hold the caller's
    // environment (tokens included), which the clone copied into it.
    init::wipe_inherited_environment();
    // The supervisor has written our id maps: we are who the Spec says.
    wait_for_go_ahead(ends.go_ahead);
    // Set only now: a credential change (the id map) clears it.
    init::die_with_supervisor(ends.go_ahead);
    // No process inside may ptrace us, or the payload before its execve.
    init::stop_being_dumpable();
    // No controlling terminal: the command cannot TIOCSTI into the caller's.
    init::start_own_session();
    // Without a pid namespace, orphans must still come to us to be reaped and killed.
    if (!spec.namespaces) init::become_subreaper();
    const auto signals = init::watch_signals();
    // Forked before the sandbox is built, so that it compiles its seccomp
    // filter and adds Landlock rules while we build; it goes on only at our
    // words. The host's root is taken now, before the view replaces it.
    auto ready = make_pipe();
    auto host_root = init::host_root_for_landlock(spec);
    payload = init::fork_payload();
    if (payload == 0) {
      init::close_in_payload(ends, ready);
      run_payload(spec, {ends.control, ready.read.get(), host_root.get()}, monitor);
    }
    ready.read.reset();
    host_root.reset();
    // The mount tree first: the payload applies its layers while we finish.
    init::build_view(spec);
    init::view_ready_to_payload(ready.write);
    // Hostname, loopback and the gateway's end inside.
    init::finish_sandbox(spec, ends.gateway);
    // Before the go-ahead: a failure here is still reported, and nothing ran.
    LimitWatcher limits(spec.watch_limits, ends.notes);
    auto dns = init::start_dns_refuser(spec, ends.notes);
    init::go_ahead_to_payload(ready.write);
    // Ours is the only other end: the supervisor sees EOF once the command has started.
    init::close_control(ends.control);
    init::supervise_payload(spec, payload, signals.get(), ends.gateway, limits, dns.get());
  } catch (const std::exception& e) {
    init::fail(ends.control, payload, e.what());
  }
}

RunResult run(const Spec& spec, Monitor* monitor) {
  const auto start = std::chrono::steady_clock::now();
  const bool was_dumpable = supervisor::is_dumpable();
  auto channels = supervisor::open_channels(spec);
  // Relayed signals are read from a signalfd from now on, so none is lost
  // between the clone and the supervision loop.
  sigset_t old_mask;
  auto signals = supervisor::watch_signals(spec.ignored_signals, old_mask);
  const pid_t init = supervisor::clone_init(spec);
  if (init == 0) {
    // In the clone, nothing may unwind back into the supervisor's code, and
    // init must hold none of the supervisor's ends: its go-ahead pipe hangs
    // up only when no writer is left, which is how init learns that the
    // supervisor died.
    channels.close_supervisor_ends();
    if (sigprocmask(SIG_SETMASK, &old_mask, nullptr) != 0)
      control::fail(channels.control_inside.get(), kExitOwnError, "sandbox set-up failed: sigprocmask");
    run_init(spec, channels.init_ends(), monitor);
  }
  channels.close_init_ends();
  std::unique_ptr<gateway::Gateway> gateway;
  try {
    // Only the parent may write the id map of an unprivileged user's namespace.
    if (spec.namespaces) namespaces::write_id_map(init, spec.id_map);
    // After the clone, so init holds none of the gateway's host sockets; before
    // the go-ahead, so a published port already in use fails the run first.
    gateway = supervisor::start_gateway(spec, channels);
    // We still hold the caller's environment: no process of the same uid may
    // ptrace us or read /proc/<pid>/environ from now on.
    supervisor::stop_being_dumpable();
  } catch (...) {
    supervisor::kill_and_reap(init);
    throw;
  }
  send_go_ahead(channels.go_ahead.write.get(), "the sandbox's init");
  auto result = supervisor::supervise(spec, init, std::move(signals), std::move(channels.control_outside),
                                      gateway.get(), monitor);
  supervisor::restore_signal_mask(old_mask);
  // Every process of the sandbox is gone (init exited, its pid namespace
  // with it): nothing is left to ptrace us, and a next run in this process
  // (install-scripts runs one per package) needs a dumpable parent to write
  // its child's id map.
  if (was_dumpable) supervisor::become_dumpable_again();
  result.wall = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
  // init has exited: every note it wrote is in the pipe.
  supervisor::read_init_notes(spec, channels.notes.read.get(), result);
  // Everything inside is gone: what stands at a watched path now stays unless moved aside.
  refuse_left_behind(spec, result);
  return result;
}

}  // namespace airlock::sandbox
