// The log-only part (log_only.hpp): listeners made on demand for each TCP
// destination, the preflight connections behind them, and the record.
#include <sys/timerfd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <spdlog/spdlog.h>

#include "gateway/log_only.hpp"
#include "util/error.hpp"

namespace airlock::gateway {
namespace {

// Connections accepted per readiness report (as the core's listeners).
constexpr int kAcceptBatch = 64;

bool unspecified(const IpAddress& ip) {
  for (std::size_t i = 0; i < ip.size(); ++i)
    if (ip.bytes[i] != 0) return false;
  return true;
}

// The command's connect() waits for its answer: whatever happens on the way
// (an exception, a preflight dropped when the gateway ends), it gets one.
// The first call answers; the last copy dropped unanswered answers
// ECONNREFUSED.
LogOnly::Answer answered_once(LogOnly::Answer answer) {
  struct Once {
    LogOnly::Answer answer;
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

LogOnly::LogOnly(const CoreServices& core, CoreCalls calls)
    : core_(core), calls_(std::move(calls)), record_(core.stats.traffic) {
  record_.stub = core_.config.dns;
  sweep_timer_ = UniqueFd(static_cast<int>(check_syscall(
      ::timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK), "timerfd_create for the gateway")));
  core_.poller.add(sweep_timer_.get(), token(Kind::sweep_timer, 0), EPOLLIN);
}

void LogOnly::on_event(std::uint8_t kind, std::uint64_t id) {
  switch (static_cast<Kind>(kind)) {
    case Kind::on_demand: return on_demand(id);
    case Kind::sweep_timer: return on_sweep();
    case Kind::preflight: return on_preflight(id);
  }
}

// ---- the record

void LogOnly::record_query(const dns::Outcome& outcome, const NameAnswer& answer, const Resolution& upstream) {
  NameRecord* record = record_.name(outcome.name);
  if (record == nullptr) return;
  ++record->queries;
  record->types.insert(outcome.type);
  if (const auto pin = core_.matcher.pinned(outcome.name)) {
    record->pinned = true;
    record->addresses = {*pin};
    record->error.clear();
  } else if (!upstream.addresses.empty()) {
    record->addresses = upstream.addresses;
    record->error.clear();
  } else if (record->addresses.empty()) {
    record->error = upstream.error;
  }
  if (answer.kind == NameAnswer::Kind::address) record_.synthetic[answer.address] = outcome.name;
}

void LogOnly::record_connection(const Decision& decision, const SocketAddress& local) {
  ConnectionRecord* record = record_.connection(decision.destination);
  if (record == nullptr) return;
  ++record->count;
  record->name = decision.name;
  record->to = local;
  record->host_loopback = decision.action == Decision::Action::forward;
  if (decision.pinned) record->resolved.insert(*decision.pinned);
}

void LogOnly::record_resolution(const std::string& destination, const Resolution& resolution) {
  if (!resolution.error.empty()) return record_failure(destination, "cannot resolve: " + resolution.error);
  ConnectionRecord* record = record_.connection(destination);
  if (record == nullptr) return;
  for (const auto& address : resolution.addresses) record->resolved.insert(address.unmapped());
}

void LogOnly::record_failure(const std::string& destination, const std::string& error) {
  ConnectionRecord* record = record_.connection(destination);
  if (record == nullptr) return;
  ++record->failed;
  record->error = error;
}

void LogOnly::record_unrelayed(const SeenAttempt& seen) {
  if (auto what = unrelayed_attempt(core_.config, core_.synthetic, expected_, seen)) {
    if (!record_.unrelayed.contains(*what)) spdlog::warn("network: not relayed: {}", *what);
    record_.not_relayed(*what);
  }
}

// ---- listeners on demand

void LogOnly::expect(const SocketAddress& raw, Answer given) noexcept {
  Answer answer = answered_once(std::move(given));
  if (!calls_.channel_open()) return answer(0);
  const SocketAddress to{raw.ip.unmapped(), raw.port};
  if (to.port == 0 || unspecified(to.ip) || to == core_.config.dns) return answer(0);
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
      const int err = calls_.request_listener(to, socket);
      if (err == EADDRINUSE) {
        spdlog::debug("network: {} is served inside the sandbox", to.str());
        return answer(0);
      }
      if (err != 0) {
        spdlog::warn("network: cannot listen for a connection to {}: {}", to.str(), std::strerror(err));
        return answer(0);
      }
      const std::uint64_t id = next_id_++;
      core_.poller.add(socket.get(), token(Kind::on_demand, id), EPOLLIN);
      on_demand_.emplace(id, OnDemand{std::move(socket), to, 1, now});
      on_demand_ids_[to] = id;
      itimerspec armed{};
      check_syscall(::timerfd_gettime(sweep_timer_.get(), &armed), "read the gateway's timer");
      if (armed.it_value.tv_sec == 0 && armed.it_value.tv_nsec == 0) arm_sweep(kListenIdle);
    }
    Preflight preflight;
    preflight.to = to;
    preflight.decision = decide_logged(core_.config, core_.matcher, core_.synthetic, to);
    preflight.answer = answer;  // a copy: answered once, by whichever gets there
    start_preflight(std::move(preflight));
  } catch (const std::exception& e) {
    spdlog::error("network: gateway: a listener for {}: {}", to.str(), e.what());
    answer(0);
  }
}

// ---- preflights: the connection made from the host before the command's goes on

void LogOnly::start_preflight(Preflight preflight) {
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
        core_.resolver.resolve(name, [this, id](const Resolution& resolution) {
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

void LogOnly::preflight_next(std::uint64_t id) {
  auto it = preflights_.find(id);
  if (it == preflights_.end()) return;
  Preflight& p = it->second;
  while (p.next < p.candidates.size()) {
    const SocketAddress& target = p.candidates[p.next++];
    if (p.socket) {
      core_.poller.remove(p.socket.get());
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
      core_.poller.add(p.socket.get(), token(Kind::preflight, id), EPOLLOUT);
      return;
    }
    p.last_error = errno;
    p.attempts += (p.attempts.empty() ? "" : "; ") + target.str() + ": " + std::strerror(errno);
  }
  finish_preflight(id, p.last_error);
}

void LogOnly::on_preflight(std::uint64_t id) {
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
void LogOnly::finish_preflight(std::uint64_t id, int error) {
  auto node = preflights_.extract(id);
  if (node.empty()) return;
  Preflight& p = node.mapped();
  if (p.socket) core_.poller.remove(p.socket.get());
  if (error == 0) {
    preconnected_[p.to].push_back(std::move(p.socket));
    return p.answer(0);
  }
  record_connection(p.decision, p.to);
  record_failure(p.decision.destination, p.attempts.empty() ? std::strerror(error) : p.attempts);
  ++core_.stats.connections_failed;
  spdlog::warn("network: {}: cannot connect: {}", p.decision.destination, p.attempts);
  if (auto it = on_demand_ids_.find(p.to); it != on_demand_ids_.end()) {
    OnDemand& listener = on_demand_.at(it->second);
    if (--listener.expected <= 0) close_on_demand(it->second);
  }
  p.answer(error);
}

UniqueFd LogOnly::take_preconnected(const SocketAddress& local) {
  auto made = preconnected_.find(local);
  if (made == preconnected_.end() || made->second.empty()) return UniqueFd();
  UniqueFd upstream = std::move(made->second.front());
  made->second.pop_front();
  if (made->second.empty()) preconnected_.erase(made);
  return upstream;
}

void LogOnly::on_demand(std::uint64_t id) {
  auto it = on_demand_.find(id);
  if (it == on_demand_.end()) return;
  OnDemand& listener = it->second;
  for (int i = 0; i < kAcceptBatch; ++i) {
    auto socket = calls_.accept(listener.socket.get());
    if (!socket) break;
    if (!*socket) continue;
    --listener.expected;
    const auto local = local_address(socket->get());
    calls_.handle_inside(std::move(*socket), local.value_or(listener.address));
  }
  // Closed as soon as it is not needed: while it listens, the command
  // itself cannot listen on that address and port.
  if (listener.expected <= 0) close_on_demand(id);
}

void LogOnly::close_on_demand(std::uint64_t id) {
  auto it = on_demand_.find(id);
  if (it == on_demand_.end()) return;
  core_.poller.remove(it->second.socket.get());
  // A connection made for a command that then did not connect is closed too.
  preconnected_.erase(it->second.address);
  on_demand_ids_.erase(it->second.address);
  on_demand_.erase(it);
}

void LogOnly::on_sweep() {
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

void LogOnly::arm_sweep(std::chrono::steady_clock::duration after) {
  const auto ns = std::max<std::int64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(after).count(), 1);
  itimerspec spec{};
  spec.it_value.tv_sec = ns / 1'000'000'000;
  spec.it_value.tv_nsec = ns % 1'000'000'000;
  check_syscall(::timerfd_settime(sweep_timer_.get(), 0, &spec, nullptr), "arm the gateway's timer");
}

}  // namespace airlock::gateway
