#pragma once
// What the gateway did during a run, for the run report: counts, and the
// distinct denied destinations and DNS queries (bounded, so a command that
// probes thousands of names cannot grow the report without limit).
#include <cstdint>
#include <string>
#include <vector>

#include "gateway/log_only_record.hpp"

namespace airlock::gateway {

struct Denied {
  std::string what;    // "203.0.113.9:22", or a query "evil.example (A)"
  std::string reason;
  std::uint64_t count = 0;
};

struct Stats {
  std::uint64_t connections_allowed = 0;  // relayed (forward and publish included)
  std::uint64_t connections_denied = 0;   // reset by policy
  std::uint64_t connections_failed = 0;   // allowed, but the destination could not be reached
  std::uint64_t forwarded = 0;
  std::uint64_t published = 0;
  std::uint64_t handed_off = 0;  // allowed, handed over as connected sockets (bytes not counted)
  std::uint64_t dns_answered = 0;
  std::uint64_t dns_refused = 0;
  std::uint64_t dns_malformed = 0;
  std::uint64_t bytes_out = 0;  // from the sandbox's clients to their destinations
  std::uint64_t bytes_in = 0;
  std::vector<Denied> denied_connections;  // first kMaxListed distinct (what, reason)
  std::vector<Denied> denied_queries;
  std::uint64_t denied_unlisted = 0;  // denials beyond the lists' bound
  bool log_only = false;              // audit mode: nothing was denied, `traffic` says what happened
  LogOnlyRecord traffic;              // log-only mode only

  static constexpr std::size_t kMaxListed = 100;

  // Each returns true the first time a (what, reason) pair is listed: the
  // gateway warns about that one and logs repeats at debug level only, so a
  // command retrying a denied destination in a loop does not flood the log.
  bool deny_connection(const std::string& what, const std::string& reason) {
    ++connections_denied;
    return list(denied_connections, what, reason);
  }
  bool refuse_query(const std::string& what, const std::string& reason) {
    ++dns_refused;
    return list(denied_queries, what, reason);
  }

 private:
  bool list(std::vector<Denied>& entries, const std::string& what, const std::string& reason) {
    for (auto& entry : entries) {
      if (entry.what == what && entry.reason == reason) {
        ++entry.count;
        return false;
      }
    }
    if (entries.size() >= kMaxListed) {
      ++denied_unlisted;
      return false;
    }
    entries.push_back({what, reason, 1});
    return true;
  }
};

}  // namespace airlock::gateway
