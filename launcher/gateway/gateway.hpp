#pragma once
// The egress gateway, supervisor side: it drives the sockets init made in
// the sandbox's network namespace (handed over on the channel), answers DNS
// from the policy, checks every connection, resolves allowed names itself,
// connects out from the host's namespace and relays. One thread, one epoll
// set; the supervisor polls fd() and calls process() when it is readable.
//
// This class is the relay core. Two modes add a part that owns its own
// state and kinds of event (parts.hpp says how they share the loop):
// handoff puts connected sockets in place of the command's
// (connect_handoff.hpp), log-only makes each connection from the host
// before the command's and records what happened (log_only.hpp).
#include <sys/socket.h>

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "gateway/channel.hpp"
#include "gateway/config.hpp"
#include "gateway/connect_handoff.hpp"
#include "gateway/decide.hpp"
#include "gateway/dns.hpp"
#include "gateway/log_only.hpp"
#include "gateway/matcher.hpp"
#include "gateway/parts.hpp"
#include "gateway/relay.hpp"
#include "gateway/resolver.hpp"
#include "gateway/stats.hpp"
#include "gateway/synthetic.hpp"
#include "util/fd.hpp"

namespace airlock::gateway {

class Gateway {
 public:
  // Call in the supervisor after clone, before the payload may run:
  // listens on the published host ports, starts the resolver, raises the
  // supervisor's descriptor limit to its hard limit. Throws airlock::Error
  // naming what failed (a published port in use, ...).
  Gateway(const Config& config, UniqueFd channel);
  ~Gateway();
  Gateway(const Gateway&) = delete;
  Gateway& operator=(const Gateway&) = delete;

  int fd() const { return poller_.fd(); }
  // Handles whatever is ready; never blocks.
  void process();
  const Stats& stats() const { return stats_; }

  // Log-only mode: the sandbox is about to connect() a TCP socket to
  // `destination` (audit's seccomp observer saw the call, which waits for
  // `answer`). Unless something inside (the command's own server) already
  // listens there, the connection is first made from the host, as a run
  // would let it be: when that fails, `answer` gets its errno (the command's
  // connect() fails as it would without the audit, and the destination is
  // recorded as an attempt only); when it succeeds, a listener in the
  // sandbox takes the command's connection, which is relayed over the one
  // already made, and `answer` gets 0. `answer` is called exactly once, now
  // or from process(). Asking init for the listener blocks at most
  // kListenWait. In the other modes `answer(0)` at once; never throws.
  using Answer = LogOnly::Answer;
  void expect(const SocketAddress& destination, Answer answer) noexcept;

  // Handoff mode: the payload's seccomp listener, which notifies each
  // connect(). From now on every TCP connect() of the command is made here.
  // In the other modes the listener is closed.
  void take_connect_listener(UniqueFd listener);

  static constexpr std::chrono::milliseconds kListenWait{2000};

 private:
  enum class Kind : std::uint8_t {
    channel = 1, listener, publish, dns_udp, dns_tcp, relay, resolver_socket, resolver_timer, attempt_watch
  };
  enum class RelayKind { egress, forward, publish };
  struct RelayInfo {
    std::unique_ptr<Relay> relay;
    RelayKind kind = RelayKind::egress;
    std::string destination;
    std::string reason;
  };
  struct Waiting {  // accepted, waiting for its name to resolve
    UniqueFd socket;
    Decision decision;
    std::uint16_t port = 0;
  };
  struct PublishWaiting {  // accepted on the host, waiting for a socket from init
    UniqueFd socket;
    std::size_t index = 0;
  };
  struct DnsSession {
    UniqueFd socket;
    dns::TcpFramer in;
    std::vector<std::uint8_t> out;
  };
  struct DnsReply {  // where an answer goes: a UDP peer, or a TCP session
    int udp_fd = -1;
    sockaddr_storage peer{};
    socklen_t peer_length = 0;
    std::uint64_t tcp_session = 0;
    const char* transport() const { return udp_fd >= 0 ? "udp" : "tcp"; }
  };

  static std::uint64_t token(Kind kind, std::uint64_t id) { return event_token(Part::core, kind, id); }
  CoreServices services();
  void dispatch(std::uint64_t token, std::uint32_t events);

  void on_channel();
  void take_listeners(std::size_t first, std::vector<UniqueFd>& fds);
  void take_socket_reply(const channel::Message& reply, std::vector<UniqueFd>& fds);
  // Asks init for a listener on `address` and waits for it (kListenWait at
  // most): 0 and the socket in `out`, or an errno.
  int request_listener(const SocketAddress& address, UniqueFd& out);
  void on_listener(std::size_t index);
  void on_publish(std::size_t index);
  void on_dns_udp(int fd);
  void on_attempt_watch(int fd);
  void on_dns_tcp(std::uint64_t id, std::uint32_t events);
  void on_relay(std::uint64_t id, unsigned side, std::uint32_t events);
  void on_resolved(std::uint64_t id, const Resolution& resolution);
  void watch_resolver_socket(int fd, bool readable, bool writable);

  // The next connection on `listener`: nullopt when there is none now, an
  // empty descriptor when one was lost (aborted, or shed for lack of fds).
  std::optional<UniqueFd> accept_next(int listener);
  void handle_inside(UniqueFd socket, const SocketAddress& local);
  void start_relay(RelayKind kind, UniqueFd a, std::vector<SocketAddress> candidates, const Decision& decision,
                   UniqueFd socket_for_first = {});
  void finish_relay(std::uint64_t id, RelayInfo& info);
  void deny(UniqueFd socket, const std::string& destination, const std::string& reason);
  dns::Outcome answer_dns(std::span<const std::uint8_t> query, const char* transport,
                          const Resolution* upstream = nullptr);
  void handle_query(std::span<const std::uint8_t> query, const DnsReply& reply);
  void answer_after_resolving(const std::string& name, std::span<const std::uint8_t> query, const DnsReply& reply);
  void send_answer(const dns::Outcome& outcome, const DnsReply& reply);
  void flush_dns(std::uint64_t id, DnsSession& session);

  const Config config_;
  Matcher matcher_;
  SyntheticAddresses synthetic_;
  Stats stats_;
  Poller poller_;
  UniqueFd channel_;
  UniqueFd spare_fd_;  // given up to accept-and-reset when out of descriptors
  std::vector<UniqueFd> inside_listeners_;
  std::vector<UniqueFd> publish_listeners_;
  std::deque<PublishWaiting> publish_waiting_;
  std::map<std::uint64_t, RelayInfo> relays_;
  std::map<std::uint64_t, Waiting> waiting_;
  std::map<std::uint64_t, DnsSession> dns_sessions_;
  std::set<int> resolver_sockets_;
  std::uint64_t next_id_ = 1;
  std::unique_ptr<LogOnly> log_only_;         // log-only mode only
  std::unique_ptr<ConnectHandoff> handoff_;  // handoff mode only
  // Last, so it is destroyed first: its destructor must not find the maps
  // above, or the parts, gone.
  Resolver resolver_;
};

}  // namespace airlock::gateway
