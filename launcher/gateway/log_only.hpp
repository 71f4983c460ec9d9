#pragma once
// The gateway's log-only part (audit mode). Before each TCP connect() of
// the command goes on, expect() makes the connection from the host and a
// listener in the sandbox for the command's, so that the command sees what
// a run would let it see; the relay core then relays over the connection
// already made. Everything the core relays, resolves or fails at is
// recorded here (LogOnlyRecord, reported in Stats::traffic). Nothing here
// refuses anything. The part exists only in log-only mode.
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "gateway/attempt_watch.hpp"
#include "gateway/decide.hpp"
#include "gateway/dns.hpp"
#include "gateway/log_only_record.hpp"
#include "gateway/parts.hpp"
#include "util/fd.hpp"

namespace airlock::gateway {

class LogOnly {
 public:
  using Answer = std::function<void(int error)>;

  // What this part asks of the relay core, which owns init's channel and
  // the handling of every connection accepted inside.
  struct CoreCalls {
    std::function<bool()> channel_open;
    // A listener in the sandbox for `address`: 0 and the socket in `out`, or an errno.
    std::function<int(const SocketAddress& address, UniqueFd& out)> request_listener;
    // The next connection on `listener`: nullopt when there is none now, an
    // empty descriptor when one was lost.
    std::function<std::optional<UniqueFd>(int listener)> accept;
    // A connection accepted inside, to `local`: decided and relayed as the
    // core's own listeners' connections are.
    std::function<void(UniqueFd socket, const SocketAddress& local)> handle_inside;
  };

  LogOnly(const CoreServices& core, CoreCalls calls);
  LogOnly(const LogOnly&) = delete;
  LogOnly& operator=(const LogOnly&) = delete;

  // Gateway::expect().
  void expect(const SocketAddress& destination, Answer answer) noexcept;

  // An event registered under Part::log_only.
  void on_event(std::uint8_t kind, std::uint64_t id);

  // The connection a preflight made for a connection accepted at `local`,
  // if one waits (the command's connection is then relayed over it).
  UniqueFd take_preconnected(const SocketAddress& local);

  // What the relay core reports, recorded.
  void record_query(const dns::Outcome& outcome, const NameAnswer& answer, const Resolution& upstream);
  void record_connection(const Decision& decision, const SocketAddress& local);
  void record_resolution(const std::string& destination, const Resolution& resolution);
  void record_failure(const std::string& destination, const std::string& error);
  // The attempt watch saw something no listener took.
  void record_unrelayed(const SeenAttempt& seen);

  // An on-demand listener is closed once it took the connections it was
  // made for, or after this long without a new one (a connect() retried on
  // a socket already connecting does not connect again).
  static constexpr std::chrono::milliseconds kListenIdle{2000};
  static constexpr std::size_t kMaxOnDemandListeners = 1024;

 private:
  enum class Kind : std::uint8_t { on_demand = 1, sweep_timer, preflight };
  struct Preflight {  // a connection made from the host before the command's goes on
    SocketAddress to;  // where the command connects (a literal or synthetic address)
    Decision decision;
    std::vector<SocketAddress> candidates;
    std::size_t next = 0;
    UniqueFd socket;
    std::string attempts;
    int last_error = ECONNREFUSED;
    Answer answer;
  };
  struct OnDemand {  // a listener for one destination
    UniqueFd socket;
    SocketAddress address;
    int expected = 0;  // connections announced by expect() and not accepted yet
    std::chrono::steady_clock::time_point last;
  };

  std::uint64_t token(Kind kind, std::uint64_t id) const { return event_token(Part::log_only, kind, id); }
  void on_demand(std::uint64_t id);
  void close_on_demand(std::uint64_t id);
  void on_sweep();
  void arm_sweep(std::chrono::steady_clock::duration after);
  void start_preflight(Preflight preflight);
  void preflight_next(std::uint64_t id);
  void on_preflight(std::uint64_t id);
  void finish_preflight(std::uint64_t id, int error);

  CoreServices core_;
  CoreCalls calls_;
  LogOnlyRecord& record_;  // the core's Stats::traffic
  std::map<std::uint64_t, OnDemand> on_demand_;
  std::map<SocketAddress, std::uint64_t> on_demand_ids_;
  std::set<SocketAddress> expected_;  // every destination expect() was told of (bounded)
  std::map<std::uint64_t, Preflight> preflights_;
  std::map<SocketAddress, std::deque<UniqueFd>> preconnected_;  // made by a preflight, for the inside connection
  UniqueFd sweep_timer_;
  std::uint64_t next_id_ = 1;
};

}  // namespace airlock::gateway
