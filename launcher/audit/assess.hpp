#pragma once
// Pure: what the observations mean against the base profile. Every access
// the base would refuse becomes a Violation (the "complain mode" report of
// `airlock run --audit`) and, when it may be granted, a Need that the
// generator turns into a profile entry. Known secrets are never a Need.
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "audit/observations.hpp"
#include "policy/policy.hpp"

namespace airlock::audit {

// The places the generator and the assessment reason about, canonical.
struct Places {
  std::string project;
  std::string home;
  std::vector<std::string> secrets;          // @secret-files, whether they exist or not
  std::vector<std::string> write_protected;  // @shell-startup: never granted for writing
};

// What the base profile allows, with canonical paths (each rule's path
// both as written and resolved, so /lib and /usr/lib both count).
struct BaseView {
  std::vector<std::string> read, write, exec, hide;
  std::vector<std::string> protect;  // read-only even beneath a writable path
  policy::NetworkMode mode = policy::NetworkMode::none;
  std::vector<policy::EgressRule> allow;
  std::vector<policy::Endpoint> forward;
  bool syscalls_default_deny = false;
};

enum class Access { read, write, exec };
std::string_view access_name(Access access);

// A grant the command needed and the base does not give.
struct Need {
  Access access = Access::read;
  std::string anchor;         // the path that existed before the command ran and must be covered
  std::string example;        // one observed path behind it (the smallest), for comments
  std::string created_child;  // the outermost directory the command created below the anchor, if any
  std::set<std::string> observed;  // every observed path behind it
  auto operator<=>(const Need&) const = default;
};

// A would-be denial under the base: the complain-mode report.
struct Violation {
  std::string kind;     // "read", "write", "exec", "connect", "syscall"
  std::string subject;  // a path, "address:port", a system call
  std::string detail;   // the calls, and what the base lacks
  auto operator<=>(const Violation&) const = default;
};

struct SecretTouch {
  std::string path;
  std::string how;  // "read, write (openat, unlink)"
  auto operator<=>(const SecretTouch&) const = default;
};

struct Assessment {
  std::vector<Need> needs;             // sorted, one per (access, anchor)
  std::vector<Violation> violations;   // sorted
  std::vector<SecretTouch> secrets;    // sorted; never granted
  std::vector<std::string> hidden;     // touched paths the base hides (left hidden), sorted
  std::vector<Destination> forward;    // host loopback services used
  std::vector<Destination> allow;      // other destinations the base does not allow, sorted; with the
                                       // gateway, also addresses a name resolved to that its guard refuses
  std::vector<NamedDestination> allow_names;  // names the base does not allow on that port, sorted
  std::map<std::string, std::string> guarded;  // such an address ("10.1.2.3:80") -> the name and range behind it
  std::vector<Destination> dns;        // resolvers contacted (port 53): served by the gateway's stub
  std::map<std::string, std::uint64_t> syscalls;  // refused by the base, used -> times
  // Attempts nothing answered: "203.0.113.9:80 (Connection refused)", sorted; never granted.
  std::vector<std::string> unconnected;
};

Assessment assess(const Observations& seen, const BaseView& base, const Places& places);

// "read, write" for a Use bit set.
std::string uses_text(unsigned uses);

}  // namespace airlock::audit
