#pragma once
// What the log-only gateway (audit mode) saw: every name the sandbox asked
// its DNS stub about and what that name resolved to upstream, and every
// connection it relayed, with the name it was made to when its address came
// from the stub's answer. Data only, bounded like Stats' lists; the audit
// turns it into `network.allow` entries (audit/traffic.hpp).
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "gateway/address.hpp"

namespace airlock::gateway {

struct NameRecord {
  std::set<std::string> types;       // "A", "AAAA", "HTTPS", ...
  std::vector<IpAddress> addresses;  // upstream's answer (or the network.hosts pin), in its order
  std::string error;                 // why it did not resolve; empty when it did
  bool pinned = false;               // network.hosts gives its address
  std::uint64_t queries = 0;
};

struct ConnectionRecord {
  std::string name;             // the name whose synthetic address it was made to; empty: a literal address
  SocketAddress to;             // as made: a literal address, or the name's synthetic address
  bool host_loopback = false;   // relayed to the same loopback address on the host
  std::set<IpAddress> resolved; // a name: the addresses it resolved to when connecting
  std::uint64_t count = 0;
  std::uint64_t failed = 0;     // could not be resolved or connected
  std::string error;            // the last failure
};

struct LogOnlyRecord {
  SocketAddress stub;  // the DNS stub's address inside
  std::map<std::string, NameRecord> names;
  std::map<std::string, ConnectionRecord> connections;  // by destination: "name:port" or "address:port"
  std::map<IpAddress, std::string> synthetic;            // the stub's answers: address -> name
  std::set<std::string> unrelayed;                       // attempts no listener took: "udp 203.0.113.9:443"
  std::uint64_t unlisted = 0;                            // records beyond the bound

  static constexpr std::size_t kMaxRecords = 4096;

  // The record for `name` or `destination`, made on first use; nullptr
  // (and counted in `unlisted`) once kMaxRecords are kept.
  NameRecord* name(const std::string& normalized) { return entry(names, normalized); }
  ConnectionRecord* connection(const std::string& destination) { return entry(connections, destination); }
  void not_relayed(const std::string& what) {
    if (unrelayed.size() < kMaxRecords || unrelayed.contains(what)) {
      unrelayed.insert(what);
    } else {
      ++unlisted;
    }
  }

 private:
  template <typename Record>
  Record* entry(std::map<std::string, Record>& records, const std::string& key) {
    if (auto it = records.find(key); it != records.end()) return &it->second;
    if (records.size() >= kMaxRecords) {
      ++unlisted;
      return nullptr;
    }
    return &records[key];
  }
};

}  // namespace airlock::gateway
