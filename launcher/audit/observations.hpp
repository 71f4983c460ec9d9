#pragma once
// What audit mode saw the command do, as data. The observer (in the
// supervisor) fills it; the assessment and the generator only read it.
// Paths are canonical and as the sandbox sees them: symlinks resolved in its
// mount namespace, which shows host paths at the same place (DESIGN.md).
#include <compare>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace airlock::audit {

// How a path was used (bit flags).
enum Use : unsigned {
  kRead = 1U << 0,    // opened for reading, or listed
  kWrite = 1U << 1,   // opened for writing, truncated, its metadata changed
  kExec = 1U << 2,    // executed
  kCreate = 1U << 3,  // a new entry appeared here (file, directory, node, link, socket)
  kRemove = 1U << 4,  // the entry here was removed or renamed away
};

struct PathRecord {
  unsigned uses = 0;
  bool existed = false;  // it existed when the command first touched it
  bool created = false;  // the command made it where nothing was
  bool is_dir = false;
  std::set<std::string> calls;  // the system calls that touched it
  std::string written;          // how the command named it, when that differs
};

// A network destination of connect() or sendto().
struct Destination {
  int family = 0;        // AF_INET or AF_INET6
  std::string address;   // "203.0.113.7", "2001:db8::1"; IPv4-mapped IPv6 shown as IPv4
  std::uint16_t port = 0;

  auto operator<=>(const Destination&) const = default;
  // "203.0.113.7:443", "[2001:db8::1]:443": the syntax of network.allow.
  std::string text() const;
  bool loopback() const;
};

// A name the command looked up through the log-only gateway's DNS stub.
struct NameLookup {
  std::set<std::string> types;         // "A", "AAAA", ...
  std::vector<std::string> addresses;  // what it resolved to upstream (or its network.hosts pin)
  std::string error;                   // why it did not resolve; empty when it did
  bool pinned = false;                 // network.hosts gave its address
};

// A connection to a name: the address connected to was the stub's answer
// for it.
struct NamedDestination {
  std::string name;
  std::uint16_t port = 0;

  auto operator<=>(const NamedDestination&) const = default;
  std::string text() const { return name + ":" + std::to_string(port); }  // network.allow syntax
};

struct NamedUse {
  std::set<std::string> calls;      // "connect", "sendto"
  std::set<std::string> addresses;  // what the name resolved to when the gateway relayed the connection
  std::uint64_t relayed = 0;        // connections the gateway took
  std::uint64_t failed = 0;         // of those, the ones that reached nothing
  std::string error;                // the last failure
};

// One path a system call used, resolved.
struct FileEvent {
  std::string path;     // canonical
  std::string written;  // lexical: as named, made absolute
  unsigned use = 0;
  bool exists = false;  // before the call ran
  bool is_dir = false;
  std::string call;
};

struct Observations {
  std::map<std::string, PathRecord> paths;
  std::map<Destination, std::set<std::string>> destinations;  // -> calls; literal addresses only when `gateway`
  // The log-only gateway (audit/traffic.hpp): set when the command ran in a
  // network namespace of its own behind it, so names are known.
  bool gateway = false;
  std::map<std::string, NameLookup> names;
  std::map<NamedDestination, NamedUse> named;
  std::set<std::string> unrelayed;  // attempts no gateway listener took ("udp name:443")
  // Destinations ("name:443", "203.0.113.9:80") every connection to which
  // failed from the host (nothing answered, or the name did not resolve)
  // -> the last error: attempts, never granted.
  std::map<std::string, std::string> unconnected;
  std::set<std::uint16_t> bound_ports;   // ports the command bound itself
  std::set<std::string> unix_sockets;    // connected paths; "@name" when abstract
  std::map<std::string, std::uint64_t> denied_calls;  // calls the base refuses -> times used
  std::set<std::string> executed;        // programs started
  std::uint64_t notifications = 0;
  std::uint64_t unreadable = 0;  // arguments that could not be read (process gone, bad pointer)
  std::uint64_t stale = 0;       // the call was gone by the time its arguments were read

  void record(const FileEvent& event);
  void record_destination(const Destination& to, const std::string& call);
};

}  // namespace airlock::audit
