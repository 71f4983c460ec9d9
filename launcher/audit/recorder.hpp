#pragma once
// Audit mode's part in a run, plugged into the sandbox as its Monitor
// (sandbox/monitor.hpp): in the payload it loads the notification filter
// the Watch describes; in the supervisor an Observer serves that filter's
// listener and records what the command did into observations().
#include <memory>

#include "audit/observations.hpp"
#include "audit/observer.hpp"
#include "audit/watch.hpp"
#include "sandbox/monitor.hpp"

namespace airlock::audit {

class Recorder final : public sandbox::Monitor {
 public:
  // `behind_log_only_gateway`: the command has a network namespace of its
  // own behind the log-only gateway, which must make each TCP connection
  // from the host before the command's connect() goes on.
  Recorder(Watch watch, bool behind_log_only_gateway);

  UniqueFd load_filter() const override;
  void start(UniqueFd listener, gateway::Gateway* gateway) override;
  int fd() const override;
  void process(short revents) override;

  const Watch& watch() const { return watch_; }
  // What was seen; complete once sandbox::run() has returned.
  Observations& observations() { return *observations_; }

 private:
  Watch watch_;
  bool behind_log_only_gateway_;
  // Shared with the Observer, which goes away when its listener hangs up.
  std::shared_ptr<Observations> observations_ = std::make_shared<Observations>();
  std::unique_ptr<Observer> observer_;
};

}  // namespace airlock::audit
