#pragma once
// The egress gateway, supervisor side: it drives the sockets init made in
// the sandbox's network namespace (handed over on the channel), answers DNS
// from the policy, checks every connection, resolves allowed names itself,
// connects out from the host's namespace and relays. One thread, one epoll
// set; the supervisor polls fd() and calls process() when it is readable.
#include <linux/seccomp.h>
#include <sys/socket.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <memory>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "gateway/channel.hpp"
#include "gateway/config.hpp"
#include "gateway/decide.hpp"
#include "gateway/dns.hpp"
#include "gateway/handoff.hpp"
#include "gateway/matcher.hpp"
#include "gateway/attempt_watch.hpp"
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
  using Answer = std::function<void(int error)>;
  void expect(const SocketAddress& destination, Answer answer) noexcept;

  // Handoff (gateway_handoff.cpp): the payload's seccomp listener, which
  // notifies each connect(). From now on every TCP connect() of the
  // command is made here.
  void take_connect_listener(UniqueFd listener);

  static constexpr std::chrono::milliseconds kListenWait{2000};
  // An on-demand listener is closed once it took the connections it was
  // made for, or after this long without a new one (a connect() retried on
  // a socket already connecting does not connect again).
  static constexpr std::chrono::milliseconds kListenIdle{2000};
  static constexpr std::size_t kMaxOnDemandListeners = 1024;
  // connect() calls waiting for a connection at once; beyond, refused.
  static constexpr std::size_t kMaxPendingHandoffs = 4096;

 private:
  enum class Kind : std::uint64_t {
    channel = 1, listener, publish, dns_udp, dns_tcp, relay, resolver_socket, resolver_timer, observer,
    on_demand, sweep_timer, notify, handoff, handoff_sweep, preflight
  };
  enum class Route { egress, forward, publish };
  struct RelayInfo {
    std::unique_ptr<Relay> relay;
    Route route = Route::egress;
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
  struct Handoff {  // a connect() the gateway answers once its connection is made
    std::uint64_t notification = 0;
    int target_fd = -1;    // the command's descriptor number
    UniqueFd theirs;       // the command's socket (pidfd_getfd): options, status flags
    int domain = AF_INET;
    bool v6only = false;
    bool nonblocking = false;
    bool cloexec = false;
    bool own_socket = false;  // connecting the command's socket in the sandbox, not one of ours
    sockaddr_storage address{};  // own_socket: the address it was given
    socklen_t address_length = 0;
    Decision decision;
    std::uint16_t port = 0;
    std::vector<SocketAddress> candidates;
    std::size_t next = 0;
    UniqueFd ours;           // connecting from the host
    sockaddr_storage peer{};  // where `ours` connects
    socklen_t peer_length = 0;
    std::vector<std::string> attempts;
    int last_error = ECONNREFUSED;
  };
  struct Preflight {  // log-only mode: a connection made from the host before the command's goes on
    SocketAddress to;  // where the command connects (a literal or synthetic address)
    Decision decision;
    std::vector<SocketAddress> candidates;
    std::size_t next = 0;
    UniqueFd socket;
    std::string attempts;
    int last_error = ECONNREFUSED;
    Answer answer;
  };
  struct OnDemand {  // log-only mode: a listener for one destination
    UniqueFd socket;
    SocketAddress address;
    int expected = 0;  // connections announced by expect() and not accepted yet
    std::chrono::steady_clock::time_point last;
  };

  static std::uint64_t token(Kind kind, std::uint64_t id) { return static_cast<std::uint64_t>(kind) << 56 | id << 1; }
  void dispatch(std::uint64_t token, std::uint32_t events);

  void on_channel();
  void take_listeners(std::size_t first, std::vector<UniqueFd>& fds);
  void take_socket_reply(const channel::Message& reply, std::vector<UniqueFd>& fds);
  void on_listener(std::size_t index);
  void on_publish(std::size_t index);
  void on_dns_udp(int fd);
  void on_observer(int fd);
  void on_dns_tcp(std::uint64_t id, std::uint32_t events);
  void on_relay(std::uint64_t id, unsigned side, std::uint32_t events);
  void on_resolved(std::uint64_t id, const Resolution& resolution);
  void watch_resolver_socket(int fd, bool readable, bool writable);

  // The next connection on `listener`: nullopt when there is none now, an
  // empty descriptor when one was lost (aborted, or shed for lack of fds).
  std::optional<UniqueFd> accept_next(int listener);
  void handle_inside(UniqueFd socket, const SocketAddress& local);
  void start_relay(Route route, UniqueFd a, std::vector<SocketAddress> candidates, const Decision& decision,
                   UniqueFd socket_for_first = {});
  void finish_relay(std::uint64_t id, RelayInfo& info);
  void deny(UniqueFd socket, const std::string& destination, const std::string& reason);
  dns::Outcome answer_dns(std::span<const std::uint8_t> query, const char* transport,
                          const Resolution* upstream = nullptr);
  void handle_query(std::span<const std::uint8_t> query, const DnsReply& reply);
  void send_answer(const dns::Outcome& outcome, const DnsReply& reply);
  void flush_dns(std::uint64_t id, DnsSession& session);

  // Log-only mode (gateway_log_only.cpp).
  void answer_after_resolving(const std::string& name, std::span<const std::uint8_t> query, const DnsReply& reply);
  void record_query(const dns::Outcome& outcome, const NameAnswer& answer, const Resolution& upstream);
  void record_connection(const Decision& decision, const SocketAddress& local);
  void record_resolution(const std::string& destination, const Resolution& resolution);
  void record_failure(const std::string& destination, const std::string& error);
  int request_listener(const SocketAddress& address, UniqueFd& out);
  void on_demand(std::uint64_t id);
  void close_on_demand(std::uint64_t id);
  void on_sweep();
  void arm_sweep(std::chrono::steady_clock::duration after);
  void on_observer_log_only(const SeenAttempt& seen);
  void start_preflight(Preflight preflight);
  void preflight_next(std::uint64_t id);
  void on_preflight(std::uint64_t id);
  void finish_preflight(std::uint64_t id, int error);

  // Handoff (gateway_handoff.cpp).
  void on_notification();
  void serve_connect(const seccomp_notif& request);
  void answer_handed_over(std::uint64_t notification, int socket, const SocketFacts& facts);
  void connect_own_socket(Handoff handoff);
  void start_handoff(Handoff handoff);
  void on_handoff_resolved(std::uint64_t id, const Resolution& resolution);
  void connect_next_candidate(std::uint64_t id);
  void on_handoff(std::uint64_t id);
  void complete_handoff(std::uint64_t id, int result);
  void refuse_handoff(std::uint64_t id, int error);
  void serve_socket_call(const seccomp_notif& request);
  void sweep_handoffs();

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
  std::map<std::uint64_t, OnDemand> on_demand_;
  std::map<SocketAddress, std::uint64_t> on_demand_ids_;
  std::set<SocketAddress> expected_;  // every destination expect() was told of (bounded)
  std::map<std::uint64_t, Preflight> preflights_;
  std::map<SocketAddress, std::deque<UniqueFd>> preconnected_;  // made by a preflight, for the inside connection
  UniqueFd sweep_timer_;
  std::uint64_t next_id_ = 1;
  UniqueFd notify_;  // handoff: the payload's seccomp listener
  std::map<std::uint64_t, Handoff> handoffs_;
  std::uint64_t host_netns_ = 0;  // SO_NETNS_COOKIE of the host's sockets (and so of those handed over)
  UniqueFd handoff_sweep_;        // drops pending handoffs whose caller is gone
  // Last, so it is destroyed first: its destructor must not find the
  // maps above gone.
  Resolver resolver_;
};

}  // namespace airlock::gateway
