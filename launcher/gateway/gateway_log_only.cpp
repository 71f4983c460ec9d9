// The gateway's log-only mode (audit): names resolved upstream before the
// stub answers, listeners made on demand for each TCP destination, and the
// record of both (Stats::traffic). Nothing here refuses anything.
#include <poll.h>
#include <sys/timerfd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <spdlog/spdlog.h>

#include "gateway/gateway.hpp"
#include "util/error.hpp"

namespace airlock::gateway {
namespace {

// Connections accepted per readiness report (as the other listeners).
constexpr int kAcceptBatch = 64;

bool unspecified(const IpAddress& ip) {
  for (std::size_t i = 0; i < ip.size(); ++i)
    if (ip.bytes[i] != 0) return false;
  return true;
}

int milliseconds_until(std::chrono::steady_clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
  return static_cast<int>(std::max<std::int64_t>(left.count(), 0));
}

// The command's connect() waits for its answer: whatever happens on the way
// (an exception, a preflight dropped when the gateway ends), it gets one.
// The first call answers; the last copy dropped unanswered answers
// ECONNREFUSED.
Gateway::Answer answered_once(Gateway::Answer answer) {
  struct Once {
    Gateway::Answer answer;
    bool done = false;
    ~Once() {
      if (!done && answer) answer(ECONNREFUSED);
    }
  };
  auto once = std::make_shared<Once>();
  once->answer = std::move(answer);
  return [once](int error) {
    if (once->done) return;
    once->done = true;
    once->answer(error);
  };
}

}  // namespace

// ---- DNS: the stub answers what upstream says

void Gateway::answer_after_resolving(const std::string& name, std::span<const std::uint8_t> query,
                                     const DnsReply& reply) {
  if (matcher_.pinned(name)) {
    const Resolution none;
    return send_answer(answer_dns(query, reply.transport(), &none), reply);
  }
  // The callback may run before resolve() returns (a cached answer).
  resolver_.resolve(name, [this, copy = std::vector<std::uint8_t>(query.begin(), query.end()),
                           reply](const Resolution& upstream) {
    send_answer(answer_dns(copy, reply.transport(), &upstream), reply);
  });
}

void Gateway::record_query(const dns::Outcome& outcome, const NameAnswer& answer, const Resolution& upstream) {
  NameRecord* record = stats_.traffic.name(outcome.name);
  if (record == nullptr) return;
  ++record->queries;
  record->types.insert(outcome.type);
  if (const auto pin = matcher_.pinned(outcome.name)) {
    record->pinned = true;
    record->addresses = {*pin};
    record->error.clear();
  } else if (!upstream.addresses.empty()) {
    record->addresses = upstream.addresses;
    record->error.clear();
  } else if (record->addresses.empty()) {
    record->error = upstream.error;
  }
  if (answer.kind == NameAnswer::Kind::address) stats_.traffic.synthetic[answer.address] = outcome.name;
}

// ---- connections

void Gateway::record_connection(const Decision& decision, const SocketAddress& local) {
  ConnectionRecord* record = stats_.traffic.connection(decision.destination);
  if (record == nullptr) return;
  ++record->count;
  record->name = decision.name;
  record->to = local;
  record->host_loopback = decision.action == Decision::Action::forward;
  if (decision.pinned) record->resolved.insert(*decision.pinned);
}

void Gateway::record_resolution(const std::string& destination, const Resolution& resolution) {
  if (!resolution.error.empty()) return record_failure(destination, "cannot resolve: " + resolution.error);
  ConnectionRecord* record = stats_.traffic.connection(destination);
  if (record == nullptr) return;
  for (const auto& address : resolution.addresses) record->resolved.insert(address.unmapped());
}

void Gateway::record_failure(const std::string& destination, const std::string& error) {
  ConnectionRecord* record = stats_.traffic.connection(destination);
  if (record == nullptr) return;
  ++record->failed;
  record->error = error;
}

// ---- listeners on demand

void Gateway::expect(const SocketAddress& raw, Answer given) noexcept {
  Answer answer = answered_once(std::move(given));
  if (!config_.log_only || !channel_) return answer(0);
  const SocketAddress to{raw.ip.unmapped(), raw.port};
  if (to.port == 0 || unspecified(to.ip) || to == config_.dns) return answer(0);
  try {
    if (expected_.size() < LogOnlyRecord::kMaxRecords) expected_.insert(to);
    const auto now = std::chrono::steady_clock::now();
    if (auto it = on_demand_ids_.find(to); it != on_demand_ids_.end()) {
      OnDemand& listener = on_demand_.at(it->second);
      ++listener.expected;
      listener.last = now;
    } else {
      if (on_demand_.size() >= kMaxOnDemandListeners) {
        spdlog::warn("network: {} listeners made on demand are open; a connection to {} is not relayed",
                     on_demand_.size(), to.str());
        return answer(0);
      }
      UniqueFd socket;
      const int err = request_listener(to, socket);
      if (err == EADDRINUSE) {
        spdlog::debug("network: {} is served inside the sandbox", to.str());
        return answer(0);
      }
      if (err != 0) {
        spdlog::warn("network: cannot listen for a connection to {}: {}", to.str(), std::strerror(err));
        return answer(0);
      }
      const std::uint64_t id = next_id_++;
      poller_.add(socket.get(), token(Kind::on_demand, id), EPOLLIN);
      on_demand_.emplace(id, OnDemand{std::move(socket), to, 1, now});
      on_demand_ids_[to] = id;
      itimerspec armed{};
      check_syscall(::timerfd_gettime(sweep_timer_.get(), &armed), "read the gateway's timer");
      if (armed.it_value.tv_sec == 0 && armed.it_value.tv_nsec == 0) arm_sweep(kListenIdle);
    }
    Preflight preflight;
    preflight.to = to;
    preflight.decision = decide_logged(config_, matcher_, synthetic_, to);
    preflight.answer = answer;  // a copy: answered once, by whichever gets there
    start_preflight(std::move(preflight));
  } catch (const std::exception& e) {
    spdlog::error("network: gateway: a listener for {}: {}", to.str(), e.what());
    answer(0);
  }
}

// ---- preflights: the connection made from the host before the command's goes on

void Gateway::start_preflight(Preflight preflight) {
  const std::uint64_t id = next_id_++;
  const Decision& decision = preflight.decision;
  switch (decision.action) {
    case Decision::Action::deny:
      preflight.attempts = decision.reason;
      preflights_.emplace(id, std::move(preflight));
      return finish_preflight(id, ECONNREFUSED);
    case Decision::Action::dns:
      preflight.answer(0);
      return;
    case Decision::Action::forward:
    case Decision::Action::connect:
      preflight.candidates = {decision.target};
      break;
    case Decision::Action::resolve:
      if (decision.pinned) {
        preflight.candidates = {{*decision.pinned, preflight.to.port}};
        break;
      }
      {
        const std::string name = decision.name;
        preflights_.emplace(id, std::move(preflight));
        resolver_.resolve(name, [this, id](const Resolution& resolution) {
          auto it = preflights_.find(id);
          if (it == preflights_.end()) return;
          record_resolution(it->second.decision.destination, resolution);
          if (!resolution.error.empty()) {
            it->second.attempts = "cannot resolve " + it->second.decision.name + ": " + resolution.error;
            return finish_preflight(id, EHOSTUNREACH);
          }
          for (const auto& address : resolution.addresses)
            it->second.candidates.push_back({address.unmapped(), it->second.to.port});
          preflight_next(id);
        });
      }
      return;
  }
  preflights_.emplace(id, std::move(preflight));
  preflight_next(id);
}

void Gateway::preflight_next(std::uint64_t id) {
  auto it = preflights_.find(id);
  if (it == preflights_.end()) return;
  Preflight& p = it->second;
  while (p.next < p.candidates.size()) {
    const SocketAddress& target = p.candidates[p.next++];
    if (p.socket) {
      poller_.remove(p.socket.get());
      p.socket.reset();
    }
    p.socket = UniqueFd(::socket(target.ip.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!p.socket) {
      p.last_error = errno;
      p.attempts += (p.attempts.empty() ? "" : "; ") + target.str() + ": " + std::strerror(errno);
      continue;
    }
    socklen_t length = 0;
    const auto sa = target.to_sockaddr(length);
    int rc;
    do rc = ::connect(p.socket.get(), reinterpret_cast<const sockaddr*>(&sa), length);
    while (rc < 0 && errno == EINTR);
    if (rc == 0) return finish_preflight(id, 0);
    if (errno == EINPROGRESS) {
      poller_.add(p.socket.get(), token(Kind::preflight, id), EPOLLOUT);
      return;
    }
    p.last_error = errno;
    p.attempts += (p.attempts.empty() ? "" : "; ") + target.str() + ": " + std::strerror(errno);
  }
  finish_preflight(id, p.last_error);
}

void Gateway::on_preflight(std::uint64_t id) {
  auto it = preflights_.find(id);
  if (it == preflights_.end()) return;
  Preflight& p = it->second;
  int err = 0;
  socklen_t length = sizeof err;
  if (::getsockopt(p.socket.get(), SOL_SOCKET, SO_ERROR, &err, &length) != 0) err = errno;
  if (err == EINPROGRESS || err == EALREADY) return;
  if (err == 0) return finish_preflight(id, 0);
  p.last_error = err;
  p.attempts += (p.attempts.empty() ? "" : "; ") + p.candidates[p.next - 1].str() + ": " + std::strerror(err);
  preflight_next(id);
}

// Success: the connection waits for the command's, which goes on. Failure:
// the command's connect() fails with the same errno, its listener is given
// back, and the destination is recorded as an attempt that never connected.
void Gateway::finish_preflight(std::uint64_t id, int error) {
  auto node = preflights_.extract(id);
  if (node.empty()) return;
  Preflight& p = node.mapped();
  if (p.socket) poller_.remove(p.socket.get());
  if (error == 0) {
    preconnected_[p.to].push_back(std::move(p.socket));
    return p.answer(0);
  }
  record_connection(p.decision, p.to);
  record_failure(p.decision.destination, p.attempts.empty() ? std::strerror(error) : p.attempts);
  ++stats_.connections_failed;
  spdlog::warn("network: {}: cannot connect: {}", p.decision.destination, p.attempts);
  if (auto it = on_demand_ids_.find(p.to); it != on_demand_ids_.end()) {
    OnDemand& listener = on_demand_.at(it->second);
    if (--listener.expected <= 0) close_on_demand(it->second);
  }
  p.answer(error);
}

// Asks init for the listener and waits for its answer; replies to requests
// that timed out earlier are told apart by the address they echo.
int Gateway::request_listener(const SocketAddress& address, UniqueFd& out) {
  channel::Message request{channel::Kind::listen_request, address.ip.family};
  request.address = address.ip.bytes;
  request.port = address.port;
  channel::send(channel_.get(), request);
  const auto deadline = std::chrono::steady_clock::now() + kListenWait;
  while (channel_) {
    pollfd ready{channel_.get(), POLLIN, 0};
    const int n = ::poll(&ready, 1, milliseconds_until(deadline));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return n == 0 ? ETIMEDOUT : errno;
    std::vector<UniqueFd> fds;
    const auto reply = channel::receive(channel_.get(), fds);
    if (!reply) {
      on_channel();  // notices that init is gone
      return ECONNRESET;
    }
    if (reply->kind == channel::Kind::socket_reply) {
      take_socket_reply(*reply, fds);
      continue;
    }
    if (reply->kind != channel::Kind::listen_reply || reply->port != address.port ||
        reply->address != address.ip.bytes)
      continue;
    if (reply->value != 0) return reply->value;
    if (fds.empty()) return EPROTO;
    out = std::move(fds.front());
    return 0;
  }
  return ECONNRESET;
}

void Gateway::on_demand(std::uint64_t id) {
  auto it = on_demand_.find(id);
  if (it == on_demand_.end()) return;
  OnDemand& listener = it->second;
  for (int i = 0; i < kAcceptBatch; ++i) {
    auto socket = accept_next(listener.socket.get());
    if (!socket) break;
    if (!*socket) continue;
    --listener.expected;
    const auto local = local_address(socket->get());
    handle_inside(std::move(*socket), local.value_or(listener.address));
  }
  // Closed as soon as it is not needed: while it listens, the command
  // itself cannot listen on that address and port.
  if (listener.expected <= 0) close_on_demand(id);
}

void Gateway::close_on_demand(std::uint64_t id) {
  auto it = on_demand_.find(id);
  if (it == on_demand_.end()) return;
  poller_.remove(it->second.socket.get());
  // A connection made for a command that then did not connect is closed too.
  preconnected_.erase(it->second.address);
  on_demand_ids_.erase(it->second.address);
  on_demand_.erase(it);
}

void Gateway::on_sweep() {
  std::uint64_t expirations = 0;
  if (::read(sweep_timer_.get(), &expirations, sizeof expirations) < 0 && errno != EAGAIN)
    throw SystemError("read the gateway's timer", errno);
  const auto now = std::chrono::steady_clock::now();
  std::vector<std::uint64_t> idle;
  auto next = std::chrono::steady_clock::duration::max();
  for (const auto& [id, listener] : on_demand_) {
    const auto since = now - listener.last;
    // A connection still being made from the host keeps its listener.
    const SocketAddress& address = listener.address;  // (clang 14: no lambda capture of a structured binding)
    const bool preflight = std::any_of(preflights_.begin(), preflights_.end(),
                                       [&](const auto& entry) { return entry.second.to == address; });
    if (preflight) {
      next = std::min(next, std::chrono::steady_clock::duration(kListenIdle));
    } else if (since >= kListenIdle) {
      idle.push_back(id);
    } else {
      next = std::min(next, std::chrono::steady_clock::duration(kListenIdle) - since);
    }
  }
  for (auto id : idle) {
    on_demand(id);  // whatever reached it still gets relayed
    close_on_demand(id);
  }
  if (!on_demand_.empty()) arm_sweep(next);
}

void Gateway::arm_sweep(std::chrono::steady_clock::duration after) {
  const auto ns = std::max<std::int64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(after).count(), 1);
  itimerspec spec{};
  spec.it_value.tv_sec = ns / 1'000'000'000;
  spec.it_value.tv_nsec = ns % 1'000'000'000;
  check_syscall(::timerfd_settime(sweep_timer_.get(), 0, &spec, nullptr), "arm the gateway's timer");
}

// ---- what no listener took

void Gateway::on_observer_log_only(const SeenAttempt& seen) {
  if (auto what = unrelayed_attempt(config_, synthetic_, expected_, seen)) {
    if (!stats_.traffic.unrelayed.contains(*what)) spdlog::warn("network: not relayed: {}", *what);
    stats_.traffic.not_relayed(*what);
  }
}

}  // namespace airlock::gateway
