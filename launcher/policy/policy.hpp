#pragma once
// The resolved, validated policy: what a profile means after `extends`,
// list merging, `!` removal, `@set` expansion and variable substitution.
// Every other part of airlock reads this and nothing else; it is immutable
// once built (policy::resolve returns it by value, const everywhere after).
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace airlock::policy {

// Where a value came from, for messages: "profiles/npm-ci.toml:12:3".
struct SourceLoc {
  std::string file;
  unsigned line = 0;
  unsigned column = 0;
  std::string str() const;
};

struct PathRule {
  std::string path;       // absolute, variables substituted
  bool optional = false;  // written "?/path": skipped when it does not exist
  SourceLoc where;
  bool create = false;  // written "+/path" (write, overlay): made as a 0700 directory when missing
};

enum class View { host, minimal };

struct Filesystem {
  View view = View::host;
  std::vector<PathRule> read;
  std::vector<PathRule> write;
  std::vector<PathRule> exec;
  std::vector<PathRule> hide;
  std::vector<PathRule> devices;  // extra /dev nodes, e.g. "/dev/fuse"
  // Read-only even beneath a writable path (airlock's own configuration is
  // always among them); hide wins over protect.
  std::vector<PathRule> protect;
  // Shown as a read-only copy without credential entries (sandbox/redact.hpp).
  std::vector<PathRule> redact;
  // Writable inside, but every write lands in a private layer that is
  // discarded when the sandbox ends (an overlay): caches a step may use
  // without leaving anything in them for the next one.
  std::vector<PathRule> overlay;
};

enum class NetworkMode { none, allowlist, host };

struct PortRange {
  std::uint16_t first = 0;
  std::uint16_t last = 0;
  bool contains(std::uint16_t p) const { return p >= first && p <= last; }
};

// One `network.allow` entry: a destination and the ports allowed on it.
struct EgressRule {
  enum class Kind { name, wildcard, address, cidr };
  Kind kind = Kind::name;
  std::string host;  // name, "*.suffix" (stored without "*."), or address text
  int family = 0;    // AF_INET / AF_INET6 for address and cidr
  std::string address_bytes;  // 4 or 16 raw bytes for address and cidr
  unsigned prefix = 0;        // cidr prefix length (32/128 for plain addresses)
  std::vector<PortRange> ports;
  SourceLoc where;
  std::string text;  // as written, for messages and explain
};

// A host loopback endpoint reachable at the same address inside (`forward`)
// or a sandbox port exposed on the host (`publish`).
struct Endpoint {
  std::string address;  // literal IP
  std::uint16_t port = 0;
  SourceLoc where;
  std::string text;
};

struct Network {
  NetworkMode mode = NetworkMode::none;
  std::vector<EgressRule> allow;
  std::vector<Endpoint> forward;
  std::vector<Endpoint> publish;
  std::map<std::string, std::string> hosts;  // static name -> address pins
  // Allowed TCP connections are made by the supervisor and the connected
  // socket handed to the command (seccomp user notification), so their
  // bytes do not pass through the gateway; false: every byte is relayed.
  bool handoff = true;
};

struct Environment {
  std::vector<std::string> keep;  // glob patterns of names to keep
  std::map<std::string, std::string> set;
  std::vector<std::string> deny;           // glob patterns; wins over keep
  std::vector<std::string> allow_secrets;  // exact names let through deny
};

enum class SyscallDefault { allow, deny };
enum class SyscallAction { errno_, kill, log };

struct Syscalls {
  SyscallDefault default_action = SyscallDefault::allow;
  std::vector<std::string> allow;  // syscall names, @sets expanded
  std::vector<std::string> deny;   // syscall names, @sets expanded
  SyscallAction action = SyscallAction::errno_;
  int errno_value = 1;  // EPERM
  // Address families socket(2) and socketpair(2) may create ("unix",
  // "inet", ...); every other one fails with EAFNOSUPPORT. Empty: any.
  std::vector<std::string> socket_families;
};

struct Process {
  std::optional<std::chrono::milliseconds> timeout;
  std::chrono::milliseconds grace{std::chrono::seconds(10)};
  std::vector<std::string> capabilities;  // "CAP_NET_BIND_SERVICE"
  std::optional<std::string> user;        // as root: switch to this user
  std::optional<std::string> group;
  std::vector<int> pass_fds;
  std::string hostname = "airlock";
  std::optional<std::string> cwd;  // default: the current directory
  // Tools whose credentials this phase holds ("npm"): the project's
  // configuration of those tools may not name a registry, a credential or a
  // program (sandbox/token_phase.hpp).
  std::vector<std::string> token_phase;
};

// One rlimit: a number, "unlimited", or "keep" (inherit).
struct Limit {
  // percent_of_ram: `value` percent of the machine's memory (limits.tmp
  // only: tmpfs sizes are memory).
  enum class Kind { value, unlimited, keep, percent_of_ram };
  Kind kind = Kind::keep;
  std::uint64_t value = 0;
};

struct Limits {
  // Keyed by resource name: nofile, nproc, fsize, core, cpu, as, stack.
  std::map<std::string, Limit> rlimits;
};

// `enforcement.require = ["landlock>=4", "seccomp", "userns"]`
struct Requirement {
  std::string feature;  // landlock, seccomp, userns, netns, pidns, ...
  int min_version = 0;
  SourceLoc where;
  std::string text;
};

struct Enforcement {
  std::vector<Requirement> require;
  bool best_effort = false;
};

// `[install_scripts] allow_net = { "sharp" = "host.example:443" }`: the
// destinations one package's install scripts may reach under `airlock
// install-scripts` (every other package gets none).
struct InstallScripts {
  std::map<std::string, std::vector<std::string>> allow_net;  // package name -> HOST:PORT entries, checked
};

struct Policy {
  std::string name;         // profile name or file
  std::string description;
  std::vector<std::string> chain;  // resolution order, base first
  Filesystem filesystem;
  Network network;
  Environment environment;
  Syscalls syscalls;
  Process process;
  Limits limits;
  Enforcement enforcement;
  InstallScripts install_scripts;
  std::map<std::string, std::string> variables;  // every variable used, resolved
  // Sets a later file changed: "@secret-files replaced by p.toml:3:1 (...)"
  // (warned by run) and "@secret-files: 2 entries added by ..." (said at -v).
  std::vector<std::string> replaced_sets;
  std::vector<std::string> extended_sets;
};

}  // namespace airlock::policy
