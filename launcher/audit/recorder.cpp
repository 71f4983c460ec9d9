#include "audit/recorder.hpp"

#include "gateway/address.hpp"
#include "gateway/gateway.hpp"

namespace airlock::audit {

Recorder::Recorder(Watch watch, bool behind_log_only_gateway)
    : watch_(std::move(watch)), behind_log_only_gateway_(behind_log_only_gateway) {}

UniqueFd Recorder::load_filter() const { return load_notification_filter(watch_); }

void Recorder::start(UniqueFd listener, gateway::Gateway* gateway) {
  observer_ = std::make_unique<Observer>(std::move(listener), watch_, observations_);
  if (!gateway || !behind_log_only_gateway_) return;
  // Each TCP connect() the observer sees is held until the log-only gateway
  // has made the connection from the host: a destination that does not
  // answer fails the command's connect() with the host's errno, as it would
  // unaudited, and is recorded as attempted, not granted.
  observer_->on_tcp_connect([gateway](const Destination& to, Observer::Answer answer) {
    const auto ip = gateway::IpAddress::parse(to.address);
    if (!ip) return answer(0);
    gateway->expect({*ip, to.port}, std::move(answer));
  });
}

int Recorder::fd() const { return observer_ ? observer_->fd() : -1; }

void Recorder::process(short revents) {
  if (observer_ && !observer_->process(revents)) observer_.reset();
}

}  // namespace airlock::audit
