#include "gateway/gateway.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <spdlog/spdlog.h>

#include "gateway/channel.hpp"
#include "gateway/attempt_watch.hpp"
#include "util/error.hpp"

namespace airlock::gateway {
namespace {

// Work done per readiness report, so one busy listener cannot starve the
// rest (listeners are level-triggered: what is left is reported again).
constexpr int kBatch = 64;
constexpr std::size_t kMaxDnsTcpBuffer = 1 << 17;

// Each relayed connection holds six descriptors (two sockets, two pipes):
// the usual soft limit of 1024 would cap the gateway near 170 connections.
// Raised only here, after clone, so the sandbox keeps the caller's limit.
void raise_descriptor_limit() {
  rlimit limit{};
  check_syscall(::getrlimit(RLIMIT_NOFILE, &limit), "getrlimit(RLIMIT_NOFILE)");
  if (limit.rlim_cur >= limit.rlim_max) return;
  limit.rlim_cur = limit.rlim_max;
  check_syscall(::setrlimit(RLIMIT_NOFILE, &limit), "setrlimit(RLIMIT_NOFILE)");
}

UniqueFd listen_on_host(const Published& published) {
  const std::string what =
      "network.publish \"" + published.text + "\": cannot listen on " + published.host.str() + " on the host";
  UniqueFd fd(::socket(published.host.ip.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd) throw SystemError(what, errno);
  const int on = 1;
  check_syscall(::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof on), what);
  if (published.host.ip.family == AF_INET6)
    check_syscall(::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on), what);
  socklen_t length = 0;
  const auto sa = published.host.to_sockaddr(length);
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&sa), length) != 0) throw SystemError(what, errno);
  check_syscall(::listen(fd.get(), SOMAXCONN), what);
  return fd;
}

UniqueFd open_spare() {
  return UniqueFd(static_cast<int>(check_syscall(::open("/dev/null", O_RDONLY | O_CLOEXEC), "open /dev/null")));
}

int milliseconds_until(std::chrono::steady_clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
  return static_cast<int>(std::max<std::int64_t>(left.count(), 0));
}

}  // namespace

Gateway::Gateway(const Config& config, UniqueFd channel)
    : config_(config),
      matcher_(config.network),
      synthetic_(config.synthetic_network, config.synthetic_prefix),
      channel_(std::move(channel)),
      resolver_([this](int fd, bool readable, bool writable) { watch_resolver_socket(fd, readable, writable); },
                config.resolver_servers) {
  // splice(2) into a socket whose peer is gone raises SIGPIPE (it has no
  // MSG_NOSIGNAL): one closed connection must not kill the supervisor. The
  // sandbox is already cloned, and the payload resets its signals anyway.
  if (std::signal(SIGPIPE, SIG_IGN) == SIG_ERR) throw SystemError("ignore SIGPIPE", errno);
  raise_descriptor_limit();
  spare_fd_ = open_spare();
  stats_.log_only = config_.log_only;
  if (config_.log_only) {
    LogOnly::CoreCalls calls;
    calls.channel_open = [this] { return static_cast<bool>(channel_); };
    calls.request_listener = [this](const SocketAddress& to, UniqueFd& out) { return request_listener(to, out); };
    calls.accept = [this](int listener) { return accept_next(listener); };
    calls.handle_inside = [this](UniqueFd socket, const SocketAddress& local) { handle_inside(std::move(socket), local); };
    log_only_ = std::make_unique<LogOnly>(services(), std::move(calls));
  }
  if (config_.handoff) handoff_ = std::make_unique<ConnectHandoff>(services());
  const int flags = static_cast<int>(check_syscall(::fcntl(channel_.get(), F_GETFL), "fcntl(F_GETFL)"));
  check_syscall(::fcntl(channel_.get(), F_SETFL, flags | O_NONBLOCK), "fcntl(F_SETFL)");
  poller_.add(channel_.get(), token(Kind::channel, 0), EPOLLIN);
  poller_.add(resolver_.timer_fd(), token(Kind::resolver_timer, 0), EPOLLIN);
  inside_listeners_.resize(config_.listeners.size());
  for (std::size_t i = 0; i < config_.publish.size(); ++i) {
    publish_listeners_.push_back(listen_on_host(config_.publish[i]));
    poller_.add(publish_listeners_.back().get(), token(Kind::publish, i), EPOLLIN);
  }
}

Gateway::~Gateway() = default;

CoreServices Gateway::services() { return {config_, matcher_, synthetic_, stats_, poller_, resolver_}; }

void CoreServices::deny(const std::string& destination, const std::string& reason) const {
  const bool first = stats.deny_connection(destination, reason);
  spdlog::log(first ? spdlog::level::warn : spdlog::level::debug, "network: denied {}: {}", destination, reason);
}

void Gateway::expect(const SocketAddress& destination, Answer answer) noexcept {
  if (!log_only_) return answer(0);
  log_only_->expect(destination, std::move(answer));
}

void Gateway::take_connect_listener(UniqueFd listener) {
  if (handoff_) handoff_->take_listener(std::move(listener));
}

void Gateway::process() {
  epoll_event events[128];
  for (const auto& event : poller_.wait(events, 0)) {
    // One connection's trouble (a failed pipe2, a full descriptor table)
    // must not end the run or the other connections.
    try {
      dispatch(event.data.u64, event.events);
    } catch (const std::exception& e) {
      spdlog::error("network: gateway: {}", e.what());
      const Event failed = decode_event(event.data.u64);
      if (failed.part == Part::core && static_cast<Kind>(failed.kind) == Kind::relay) {
        if (auto it = relays_.find(failed.id); it != relays_.end()) {
          it->second.relay->abort();
          ++stats_.connections_failed;
          relays_.erase(it);
        }
      }
    }
  }
}

void Gateway::dispatch(std::uint64_t tok, std::uint32_t events) {
  const Event event = decode_event(tok);
  switch (event.part) {
    case Part::core: break;
    case Part::handoff: return handoff_->on_event(event.kind, event.id);
    case Part::log_only: return log_only_->on_event(event.kind, event.id);
  }
  const std::uint64_t id = event.id;
  switch (static_cast<Kind>(event.kind)) {
    case Kind::channel: return on_channel();
    case Kind::listener: return on_listener(id);
    case Kind::publish: return on_publish(id);
    case Kind::dns_udp: return on_dns_udp(inside_listeners_.at(id).get());
    case Kind::dns_tcp: return on_dns_tcp(id, events);
    case Kind::relay: return on_relay(id, event.side, events);
    case Kind::resolver_socket:
      return resolver_.on_socket(static_cast<int>(id), (events & (EPOLLIN | EPOLLERR | EPOLLHUP)) != 0,
                                 (events & EPOLLOUT) != 0);
    case Kind::resolver_timer: return resolver_.on_timer();
    case Kind::attempt_watch: return on_attempt_watch(inside_listeners_.at(id).get());
  }
}

// ---- the channel to init

void Gateway::on_channel() {
  while (channel_) {
    std::vector<UniqueFd> fds;
    const auto message = channel::receive(channel_.get(), fds);
    if (!message) {
      // init is gone, and with it the sandbox: nothing more will be asked.
      poller_.remove(channel_.get());
      channel_.reset();
      for (auto& waiting : publish_waiting_) (void)reset_on_close(waiting.socket.get());
      stats_.connections_failed += publish_waiting_.size();
      publish_waiting_.clear();
      return;
    }
    switch (message->kind) {
      case channel::Kind::none: return;
      case channel::Kind::listeners: take_listeners(static_cast<std::size_t>(message->value), fds); break;
      case channel::Kind::listeners_done: spdlog::debug("gateway: {} listeners in the sandbox", message->value); break;
      case channel::Kind::socket_reply: take_socket_reply(*message, fds); break;
      case channel::Kind::socket_request: break;
      case channel::Kind::listen_request: break;
      case channel::Kind::listen_reply: break;  // for a request that timed out: the listener is dropped
    }
  }
}

void Gateway::take_listeners(std::size_t first, std::vector<UniqueFd>& fds) {
  for (std::size_t i = 0; i < fds.size(); ++i) {
    const std::size_t index = first + i;
    if (index >= config_.listeners.size()) throw Error("internal: the sandbox's init sent an unexpected listener");
    const auto transport = config_.listeners[index].transport;
    const Kind kind = transport == Transport::udp      ? Kind::dns_udp
                      : transport == Transport::packet ? Kind::attempt_watch
                                                       : Kind::listener;
    poller_.add(fds[i].get(), token(kind, index), EPOLLIN);
    inside_listeners_[index] = std::move(fds[i]);
  }
}

void Gateway::take_socket_reply(const channel::Message& reply, std::vector<UniqueFd>& fds) {
  if (publish_waiting_.empty()) return;
  PublishWaiting waiting = std::move(publish_waiting_.front());
  publish_waiting_.pop_front();
  const Published& published = config_.publish[waiting.index];
  Decision decision;
  decision.destination = "sandbox " + published.inside.str() + " (published on host " + published.host.str() + ")";
  decision.reason = "network.publish \"" + published.text + "\"";
  if (reply.value != 0 || fds.empty()) {
    ++stats_.connections_failed;
    spdlog::warn("network: cannot publish to {}: no socket in the sandbox: {}", decision.destination,
                 std::strerror(reply.value));
    (void)reset_on_close(waiting.socket.get());
    return;
  }
  start_relay(RelayKind::publish, std::move(waiting.socket), {published.inside}, decision, std::move(fds.front()));
}

// Replies to requests that timed out earlier are told apart by the address
// they echo.
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

// ---- accepting

void Gateway::on_listener(std::size_t index) {
  const int listener = inside_listeners_.at(index).get();
  for (int i = 0; i < kBatch; ++i) {
    auto socket = accept_next(listener);
    if (!socket) return;
    if (!*socket) continue;
    const auto local = local_address(socket->get());
    if (!local) {
      deny(std::move(*socket), "(unknown)", std::string("getsockname failed: ") + std::strerror(errno));
      continue;
    }
    handle_inside(std::move(*socket), *local);
  }
}

std::optional<UniqueFd> Gateway::accept_next(int listener) {
  UniqueFd socket(::accept4(listener, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
  if (socket) return socket;
  switch (errno) {
    case EAGAIN:
#if EWOULDBLOCK != EAGAIN
    case EWOULDBLOCK:
#endif
      return std::nullopt;
    case EMFILE:
    case ENFILE: {
      // Out of descriptors: the connection would stay queued and the
      // listener would report it forever. Give up the spare descriptor to
      // accept it, reset it, and take the spare back.
      spare_fd_.reset();
      UniqueFd shed(::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC));
      if (shed) {
        (void)reset_on_close(shed.get());
        (void)stats_.deny_connection("(unknown)", "the supervisor ran out of file descriptors");
        spdlog::error("network: out of file descriptors: a new connection was reset (raise `ulimit -Hn`)");
      }
      shed.reset();
      spare_fd_ = open_spare();
      return shed ? std::optional<UniqueFd>(UniqueFd()) : std::nullopt;
    }
    case EINTR:
    case ECONNABORTED:
    case EPROTO:
      return UniqueFd();
    default:
      spdlog::error("network: accept failed: {}", std::strerror(errno));
      return std::nullopt;
  }
}

void Gateway::handle_inside(UniqueFd socket, const SocketAddress& local) {
  Decision decision = config_.log_only ? decide_logged(config_, matcher_, synthetic_, local)
                                       : decide_connection(config_, matcher_, synthetic_, local);
  if (log_only_ && decision.action != Decision::Action::dns) log_only_->record_connection(decision, local);
  if (UniqueFd upstream = log_only_ ? log_only_->take_preconnected(local) : UniqueFd()) {
    // A preflight made this connection already: relay over it.
    sockaddr_storage peer{};
    socklen_t length = sizeof peer;
    const auto to = ::getpeername(upstream.get(), reinterpret_cast<sockaddr*>(&peer), &length) == 0
                        ? SocketAddress::from_sockaddr(peer)
                        : std::nullopt;
    if (to) {
      const auto kind = decision.action == Decision::Action::forward ? RelayKind::forward : RelayKind::egress;
      return start_relay(kind, std::move(socket), {*to}, decision, std::move(upstream));
    }
  }
  switch (decision.action) {
    case Decision::Action::deny:
      return deny(std::move(socket), decision.destination, decision.reason);
    case Decision::Action::dns: {
      const std::uint64_t id = next_id_++;
      poller_.add(socket.get(), token(Kind::dns_tcp, id), EPOLLIN);
      dns_sessions_[id].socket = std::move(socket);
      return;
    }
    case Decision::Action::forward:
      return start_relay(RelayKind::forward, std::move(socket), {decision.target}, decision);
    case Decision::Action::connect:
      return start_relay(RelayKind::egress, std::move(socket), {decision.target}, decision);
    case Decision::Action::resolve: {
      if (decision.pinned) {
        const SocketAddress pinned{*decision.pinned, local.port};
        return start_relay(RelayKind::egress, std::move(socket), {pinned}, decision);
      }
      const std::uint64_t id = next_id_++;
      const std::string name = decision.name;
      waiting_.emplace(id, Waiting{std::move(socket), std::move(decision), local.port});
      resolver_.resolve(name, [this, id](const Resolution& resolution) { on_resolved(id, resolution); });
      return;
    }
  }
}

void Gateway::on_resolved(std::uint64_t id, const Resolution& resolution) {
  auto node = waiting_.extract(id);
  if (node.empty()) return;
  Waiting& waiting = node.mapped();
  if (log_only_) log_only_->record_resolution(waiting.decision.destination, resolution);
  if (!resolution.error.empty()) {
    ++stats_.connections_failed;
    spdlog::warn("network: {}: cannot resolve {}: {}", waiting.decision.destination, waiting.decision.name,
                 resolution.error);
    (void)reset_on_close(waiting.socket.get());
    return;
  }
  if (config_.log_only) {
    std::vector<SocketAddress> candidates;
    for (const auto& address : resolution.addresses) candidates.push_back({address.unmapped(), waiting.port});
    return start_relay(RelayKind::egress, std::move(waiting.socket), std::move(candidates), waiting.decision);
  }
  auto screened = screen_resolved(matcher_, waiting.decision.name, resolution.addresses, waiting.port);
  if (screened.usable.empty()) return deny(std::move(waiting.socket), waiting.decision.destination, screened.refused.front());
  for (const auto& why : screened.refused) spdlog::info("network: {}: address left out: {}", waiting.decision.destination, why);
  start_relay(RelayKind::egress, std::move(waiting.socket), std::move(screened.usable), waiting.decision);
}

void Gateway::deny(UniqueFd socket, const std::string& destination, const std::string& reason) {
  if (config_.log_only) {
    // Nowhere to relay it to (a synthetic address never given): not a denial.
    ++stats_.connections_failed;
    log_only_->record_failure(destination, reason);
    spdlog::warn("network: {}: cannot relay: {}", destination, reason);
    if (socket) (void)reset_on_close(socket.get());
    return;
  }
  services().deny(destination, reason);
  if (socket) (void)reset_on_close(socket.get());
}

// ---- relays

void Gateway::start_relay(RelayKind kind, UniqueFd a, std::vector<SocketAddress> candidates, const Decision& decision,
                          UniqueFd socket_for_first) {
  ++stats_.connections_allowed;
  if (kind == RelayKind::forward) ++stats_.forwarded;
  if (kind == RelayKind::publish) ++stats_.published;
  const char* verb = kind == RelayKind::egress ? (config_.log_only ? "relayed" : "allowed") : kind == RelayKind::forward ? "forwarded" : "published";
  spdlog::info("network: {} {} ({})", verb, decision.destination, decision.reason);
  const std::uint64_t id = next_id_++;
  RelayInfo info{std::make_unique<Relay>(poller_, token(Kind::relay, id), std::move(a), std::move(candidates),
                                         std::move(socket_for_first)),
                 kind, decision.destination, decision.reason};
  if (info.relay->state() == Relay::State::failed) return finish_relay(id, info);
  relays_.emplace(id, std::move(info));
}

void Gateway::on_relay(std::uint64_t id, unsigned side, std::uint32_t events) {
  auto it = relays_.find(id);
  if (it == relays_.end()) return;
  const auto state = it->second.relay->on_event(side, events);
  if (state != Relay::State::done && state != Relay::State::failed) return;
  finish_relay(id, it->second);
  relays_.erase(it);
}

void Gateway::finish_relay(std::uint64_t id, RelayInfo& info) {
  const Relay& relay = *info.relay;
  if (relay.state() == Relay::State::failed) {
    ++stats_.connections_failed;
    spdlog::warn("network: {}: cannot connect: {}", info.destination, relay.error());
    if (log_only_) log_only_->record_failure(info.destination, relay.error());
    return;
  }
  // Side A is the sandbox's, except for publish where it is the host's.
  const bool a_inside = info.kind != RelayKind::publish;
  stats_.bytes_out += a_inside ? relay.bytes_a_to_b() : relay.bytes_b_to_a();
  stats_.bytes_in += a_inside ? relay.bytes_b_to_a() : relay.bytes_a_to_b();
  spdlog::debug("network: closed #{} {} via {}: {} bytes out, {} in", id, info.destination, relay.connected_to().str(),
                a_inside ? relay.bytes_a_to_b() : relay.bytes_b_to_a(),
                a_inside ? relay.bytes_b_to_a() : relay.bytes_a_to_b());
}

// ---- publish

void Gateway::on_publish(std::size_t index) {
  const int listener = publish_listeners_.at(index).get();
  for (int i = 0; i < kBatch; ++i) {
    auto socket = accept_next(listener);
    if (!socket) return;
    if (!*socket) continue;
    if (!channel_) {
      ++stats_.connections_failed;
      (void)reset_on_close(socket->get());
      continue;
    }
    const int family = config_.publish[index].inside.ip.family;
    try {
      channel::send(channel_.get(), {channel::Kind::socket_request, family});
    } catch (const Error& e) {
      ++stats_.connections_failed;
      spdlog::warn("network: cannot publish a connection: {}", e.what());
      (void)reset_on_close(socket->get());
      continue;
    }
    publish_waiting_.push_back({std::move(*socket), index});
  }
}

// ---- DNS

dns::Outcome Gateway::answer_dns(std::span<const std::uint8_t> query, const char* transport,
                                 const Resolution* upstream) {
  NameAnswer given;
  auto outcome = dns::answer(query, [&](std::string_view name) {
    given = config_.log_only ? answer_name_logged(matcher_, synthetic_, name, upstream ? *upstream : Resolution{})
                             : answer_name(matcher_, synthetic_, name);
    return given;
  });
  using Result = dns::Outcome::Result;
  if (config_.log_only && upstream != nullptr && !outcome.name.empty()) {
    // Every answer, NXDOMAIN included, is upstream's: nothing was refused.
    log_only_->record_query(outcome, given, *upstream);
    if (outcome.result == Result::answered || outcome.result == Result::refused || outcome.result == Result::failed) {
      ++stats_.dns_answered;
      spdlog::info("dns: {} {} -> {} ({})", outcome.type, outcome.name, outcome.detail, transport);
      return outcome;
    }
  }
  switch (outcome.result) {
    case Result::answered:
      ++stats_.dns_answered;
      spdlog::info("dns: {} {} -> {} ({})", outcome.type, outcome.name, outcome.detail, transport);
      break;
    case Result::refused:
    case Result::failed:
      if (stats_.refuse_query(dns::shown_name(outcome.name) + " (" + outcome.type + ")", outcome.detail)) {
        spdlog::warn("dns: refused {} {}: {}", outcome.type, dns::shown_name(outcome.name), outcome.detail);
      } else {
        spdlog::debug("dns: refused {} {} again", outcome.type, dns::shown_name(outcome.name));
      }
      break;
    case Result::malformed:
      ++stats_.dns_malformed;
      spdlog::warn("dns: malformed query ({}): {}", transport, outcome.detail);
      break;
    case Result::ignored:
      spdlog::debug("dns: ignored a packet ({}): {}", transport, outcome.detail);
      break;
  }
  return outcome;
}

void Gateway::on_dns_udp(int fd) {
  for (int i = 0; i < kBatch; ++i) {
    std::uint8_t buffer[4096];
    sockaddr_storage peer{};
    socklen_t peer_length = sizeof peer;
    const ssize_t n = ::recvfrom(fd, buffer, sizeof buffer, 0, reinterpret_cast<sockaddr*>(&peer), &peer_length);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) spdlog::error("dns: receive failed: {}", std::strerror(errno));
      return;
    }
    handle_query({buffer, static_cast<std::size_t>(n)}, DnsReply{fd, peer, peer_length, 0});
  }
}

void Gateway::handle_query(std::span<const std::uint8_t> query, const DnsReply& reply) {
  if (config_.log_only) {
    if (auto name = dns::question_name(query)) return answer_after_resolving(*name, query, reply);
  }
  send_answer(answer_dns(query, reply.transport()), reply);
}

// Log-only mode: the stub answers what upstream says.
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

void Gateway::send_answer(const dns::Outcome& outcome, const DnsReply& reply) {
  if (outcome.response.empty()) return;
  if (reply.udp_fd >= 0) {
    // UDP may drop an answer; the client asks again.
    if (::sendto(reply.udp_fd, outcome.response.data(), outcome.response.size(), MSG_DONTWAIT,
                 reinterpret_cast<const sockaddr*>(&reply.peer), reply.peer_length) < 0)
      spdlog::debug("dns: answer not sent: {}", std::strerror(errno));
    return;
  }
  auto it = dns_sessions_.find(reply.tcp_session);
  if (it == dns_sessions_.end()) return;  // the client hung up while the name was resolved
  const auto framed = dns::frame(outcome.response);
  it->second.out.insert(it->second.out.end(), framed.begin(), framed.end());
  flush_dns(reply.tcp_session, it->second);
}

void Gateway::on_dns_tcp(std::uint64_t id, std::uint32_t events) {
  auto it = dns_sessions_.find(id);
  if (it == dns_sessions_.end()) return;
  DnsSession& session = it->second;
  bool closing = (events & (EPOLLERR | EPOLLHUP)) != 0;
  if (events & EPOLLIN) {
    std::uint8_t buffer[4096];
    const ssize_t n = ::read(session.socket.get(), buffer, sizeof buffer);
    if (n > 0) {
      session.in.append({buffer, static_cast<std::size_t>(n)});
      while (auto message = session.in.next()) handle_query(*message, DnsReply{-1, {}, 0, id});
      closing = closing || session.in.buffered() > kMaxDnsTcpBuffer;
    } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
      closing = true;
    }
  }
  flush_dns(id, session);
  if (closing || session.out.size() > kMaxDnsTcpBuffer) {
    poller_.remove(session.socket.get());
    dns_sessions_.erase(it);
  }
}

void Gateway::flush_dns(std::uint64_t id, DnsSession& session) {
  while (!session.out.empty()) {
    const ssize_t n = ::send(session.socket.get(), session.out.data(), session.out.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n <= 0) break;
    session.out.erase(session.out.begin(), session.out.begin() + n);
  }
  poller_.modify(session.socket.get(), token(Kind::dns_tcp, id), EPOLLIN | (session.out.empty() ? 0u : EPOLLOUT));
}

// ---- attempts the kernel refused on its own

void Gateway::on_attempt_watch(int fd) {
  for (int i = 0; i < kBatch; ++i) {
    std::uint8_t packet[128];  // headers are all that is looked at
    const ssize_t n = ::recv(fd, packet, sizeof packet, MSG_TRUNC);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) spdlog::error("network: observer: {}", std::strerror(errno));
      return;
    }
    const auto seen = parse_packet({packet, std::min(sizeof packet, static_cast<std::size_t>(n))});
    if (!seen) continue;
    if (log_only_) {
      log_only_->record_unrelayed(*seen);
      continue;
    }
    if (auto decision = decide_attempt(config_, matcher_, synthetic_, *seen))
      deny(UniqueFd(), decision->destination, decision->reason);
  }
}

// ---- the resolver's sockets

void Gateway::watch_resolver_socket(int fd, bool readable, bool writable) {
  const std::uint32_t events = (readable ? EPOLLIN : 0u) | (writable ? EPOLLOUT : 0u);
  const auto tok = token(Kind::resolver_socket, static_cast<std::uint64_t>(fd));
  if (events == 0) {
    if (resolver_sockets_.erase(fd) > 0) poller_.remove(fd);
    return;
  }
  if (resolver_sockets_.insert(fd).second) {
    poller_.add(fd, tok, events);
  } else {
    poller_.modify(fd, tok, events);
  }
}

}  // namespace airlock::gateway
