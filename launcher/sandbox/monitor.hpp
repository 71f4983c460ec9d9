#pragma once
// What audit mode plugs into a run: the caller (the CLI) passes a Monitor
// to sandbox::run(). The sandbox knows nothing of what is watched or
// recorded; it only gives the monitor its two moments. In the payload, the
// monitor loads a seccomp notification filter as the very last step before
// execve, so that the first call it sees is the command's own execve and
// every refusal of the other filters still wins. In the supervisor, the
// monitor serves that filter's listener from the supervisor's poll loop.
#include "util/fd.hpp"

namespace airlock::gateway {
class Gateway;
}

namespace airlock::sandbox {

class Monitor {
 public:
  virtual ~Monitor() = default;

  // Payload side, after every other layer and right before execve: loads
  // the notification filter and returns its listener, which the sandbox
  // hands to the supervisor. From here until execve the payload makes only
  // calls the filter lets through unwatched. Throws airlock::Error.
  virtual UniqueFd load_filter() const = 0;

  // Supervisor side: the listener arrived. `gateway` is the run's gateway
  // (nullptr without one), for a monitor that has it make connections.
  virtual void start(UniqueFd listener, gateway::Gateway* gateway) = 0;
  // For poll(2): -1 until start() and once the listener has hung up.
  virtual int fd() const = 0;
  // Call when poll(2) reported `revents` on fd().
  virtual void process(short revents) = 0;
};

}  // namespace airlock::sandbox
