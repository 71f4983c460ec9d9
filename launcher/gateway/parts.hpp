#pragma once
// How the gateway's relay core (gateway.hpp) and its two parts, the handoff
// (connect_handoff.hpp) and the log-only audit (log_only.hpp), share one
// thread and one epoll set. Each part exists only in the mode that needs it
// and keeps its own state; what it needs of the core is lent here, and what
// the core needs of it is its public interface. Every epoll token names the
// part that registered it, so each part decodes only its own kinds of event.
#include <cstdint>
#include <string>

#include "gateway/config.hpp"
#include "gateway/matcher.hpp"
#include "gateway/relay.hpp"
#include "gateway/resolver.hpp"
#include "gateway/stats.hpp"
#include "gateway/synthetic.hpp"

namespace airlock::gateway {

enum class Part : std::uint8_t { core = 1, handoff, log_only };

// An epoll token: the part (8 bits), that part's kind of event (8 bits) and
// which of its objects (47 bits); bit 0 is left for a relay's side (Relay
// adds it).
template <typename Kind>
constexpr std::uint64_t event_token(Part part, Kind kind, std::uint64_t id) {
  return std::uint64_t{static_cast<std::uint8_t>(part)} << 56 | std::uint64_t{static_cast<std::uint8_t>(kind)} << 48 |
         id << 1;
}

struct Event {
  Part part;
  std::uint8_t kind;  // the part's own Kind
  std::uint64_t id;
  unsigned side;
};

constexpr Event decode_event(std::uint64_t token) {
  return {static_cast<Part>(token >> 56), static_cast<std::uint8_t>(token >> 48),
          (token & ((std::uint64_t{1} << 48) - 1)) >> 1, static_cast<unsigned>(token & 1)};
}

// What the relay core lends its parts. One thread runs them all, so plain
// references do; the core outlives both parts.
struct CoreServices {
  const Config& config;
  const Matcher& matcher;
  const SyntheticAddresses& synthetic;
  Stats& stats;
  Poller& poller;
  Resolver& resolver;

  // A connection the policy refuses: counted for the report; warned about
  // the first time, so a command retrying it in a loop does not flood the log.
  void deny(const std::string& destination, const std::string& reason) const;
};

}  // namespace airlock::gateway
