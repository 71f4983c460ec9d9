#pragma once
// init's steps of a run (run.cpp tells the order): PID 1 of the sandbox's
// pid namespace, or a plain subreaper without namespaces. It builds the
// sandbox, starts the payload, relays signals to it, reaps every zombie,
// and exits with the payload's status once the payload is gone, taking
// everything else with it.
#include <sys/types.h>

#include <memory>
#include <string>

#include "sandbox/control_channel.hpp"
#include "sandbox/dns_refuser.hpp"
#include "sandbox/limit_watch.hpp"
#include "sandbox/spec.hpp"
#include "util/fd.hpp"

namespace airlock::sandbox::init {

// init's ends of the supervisor's channels (supervisor.hpp).
struct Ends {
  int go_ahead = -1;  // read: the supervisor's go-ahead, then its hang-up when it dies
  int control = -1;   // control_channel.hpp
  int notes = -1;     // limit_watch.hpp, dns_refuser.hpp
  int gateway = -1;   // gateway/channel.hpp; -1 without a gateway
};

void wipe_inherited_environment();
// PR_SET_PDEATHSIG, and _exit if the supervisor is already gone.
void die_with_supervisor(int go_ahead_fd);
void stop_being_dumpable();
void start_own_session();
void become_subreaper();
// Relayed signals and SIGCHLD as a signalfd (PID 1 only receives signals it
// has a handler for; blocking them turns them into events).
UniqueFd watch_signals();
// "/" before the view is built, when the payload's Landlock rules need it
// (payload::Ends::host_root); an invalid descriptor otherwise.
UniqueFd host_root_for_landlock(const Spec& spec);
pid_t fork_payload();
// In the payload, right after the fork: the ends it must not hold.
void close_in_payload(const Ends& ends, Pipe& ready);
// The mount tree (pivot_root into it included): what the payload's
// Landlock rules bind to.
void build_view(const Spec& spec);
// Hostname, loopback and the gateway's end inside: needed before the
// command's execve, not by the payload's own set-up.
void finish_sandbox(const Spec& spec, int gateway_fd);
// network.mode = "none": the refuser answers DNS from init (nullptr otherwise).
std::unique_ptr<DnsRefuser> start_dns_refuser(const Spec& spec, int notes_fd);
// The payload waits twice on `ready`: for the view (then it applies its
// layers), and for the rest of the sandbox (then it executes the command).
void view_ready_to_payload(const UniqueFd& ready_write);
void go_ahead_to_payload(UniqueFd& ready_write);
void close_control(int control_fd);
[[noreturn]] void supervise_payload(const Spec& spec, pid_t payload, int signals, int gateway_fd,
                                   LimitWatcher& limits, DnsRefuser* dns);
// A set-up step failed: the payload (if forked) is killed, the supervisor told.
[[noreturn]] void fail(int control_fd, pid_t payload, const std::string& what);

}  // namespace airlock::sandbox::init
