#pragma once
// The supervisor's steps of a run (run.cpp tells the order): the invoking
// process, outside the sandbox. It clones init into fresh namespaces,
// writes its id map, runs the gateway, relays signals, enforces the timeout
// and turns init's end into airlock's exit status.
#include <sys/types.h>

#include <csignal>
#include <memory>

#include "sandbox/control_channel.hpp"
#include "sandbox/init.hpp"
#include "sandbox/monitor.hpp"
#include "sandbox/run.hpp"
#include "sandbox/spec.hpp"
#include "util/fd.hpp"

namespace airlock::gateway {
class Gateway;
}

namespace airlock::sandbox::supervisor {

// Every descriptor the three processes talk over, made before the clone.
struct Channels {
  Pipe go_ahead;                  // supervisor -> init: the id map is written
  UniqueFd control_outside;       // control_channel.hpp, the supervisor's end
  UniqueFd control_inside;        // ... init's and the payload's end
  Pipe notes;                     // init -> supervisor: limits reached, refused names
  UniqueFd gateway_outside, gateway_inside;  // gateway/channel.hpp, with a gateway

  init::Ends init_ends() const;
  // In the supervisor after the clone: init holds these now.
  void close_init_ends();
  // In init right after the clone: the supervisor's, never init's.
  void close_supervisor_ends();
};
Channels open_channels(const Spec& spec);

// Blocks the relayed signals and returns a signalfd for them. Each also gets
// a no-op handler: as PID 1 of a container the kernel drops signals whose
// disposition is SIG_DFL, even a `docker stop` SIGTERM (pid_namespaces(7)).
UniqueFd watch_signals(const std::vector<int>& ignored, sigset_t& old_mask);
void restore_signal_mask(const sigset_t& mask);

// clone(2) into the Spec's namespaces; 0 in the child, as fork. Throws
// NamespacesUnavailable when the kernel refuses the namespaces.
pid_t clone_init(const Spec& spec);

// The egress gateway of the Spec (nullptr when it has none).
std::unique_ptr<gateway::Gateway> start_gateway(const Spec& spec, Channels& channels);

void stop_being_dumpable();
// Whether we are dumpable now, and becoming so again once the sandbox is
// gone (run() leaves the process as it found it).
bool is_dumpable();
void become_dumpable_again();

// After a failure before the go-ahead: nothing ran; init goes.
void kill_and_reap(pid_t init);

// Until init exits: relays signals, serves the gateway and the monitor,
// reads set-up failures and enforces the timeout. The result's exit status
// is init's (the payload's), or the set-up failure's code.
RunResult supervise(const Spec& spec, pid_t init, UniqueFd signals, UniqueFd control, gateway::Gateway* gateway,
                    Monitor* monitor);

// What init noted (limits reached, names refused) into `result`, each said.
void read_init_notes(const Spec& spec, int notes_fd, RunResult& result);

}  // namespace airlock::sandbox::supervisor
