#pragma once
// Everything a run needs, computed in the supervisor before anything is
// cloned: each layer built as data from the Policy and the EnforcementPlan.
// A bad path, an unknown user or an unresolvable command fails here, with
// nothing applied yet ("nothing half-applied").
#include <chrono>
#include <csignal>
#include <optional>
#include <string>
#include <vector>

#include "gateway/config.hpp"
#include "policy/policy.hpp"
#include "sandbox/capabilities.hpp"
#include "sandbox/environment.hpp"
#include "sandbox/landlock.hpp"
#include "sandbox/leftovers.hpp"
#include "sandbox/limits.hpp"
#include "sandbox/mounts.hpp"
#include "sandbox/namespaces.hpp"
#include "sandbox/plan.hpp"
#include "sandbox/seccomp.hpp"

namespace airlock::sandbox {

// The signals the supervisor and init pass on to the payload.
inline constexpr int kRelayedSignals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH};

struct Spec {
  std::vector<std::string> argv;  // argv[0] as given
  std::string executable;         // resolved with the sandbox's PATH; empty: not found
  int exec_errno = 0;             // why `executable` is empty (ENOENT, EACCES)
  std::string cwd;
  std::string hostname;
  bool namespaces = false;
  namespaces::IdMap id_map;
  mounts::Layout mounts;
  environment::Result env;
  capabilities::Credentials caps;
  std::vector<limits::Rlimit> limits;
  std::optional<landlock::Ruleset> landlock;
  std::optional<seccomp::Filter> seccomp;
  std::optional<gateway::Config> gateway;  // network allowlist, forward, publish (needs namespaces)
  // network.mode = "none" in a network namespace: init refuses and names DNS
  // lookups (dns_refuser.hpp).
  bool dns_refuser = false;
  // Stay in the host's network namespace: an audit of a base whose network
  // is the host's (audit/session.hpp).
  bool host_network = false;
  std::vector<int> pass_fds;  // process.pass_fds plus LISTEN_FDS sockets
  int listen_fds = 0;         // systemd socket activation: fds 3.. passed on
  std::optional<std::chrono::milliseconds> timeout;
  std::chrono::milliseconds grace{};
  // Relayed signals the caller ignores (nohup, a shell's background job):
  // not relayed, and still ignored by the payload, as without airlock.
  std::vector<int> ignored_signals;
  // Protected paths that do not exist yet: checked after the run (leftovers.hpp).
  std::vector<WatchedPath> watched;
  NestedControl nested;  // control files below the project's top (leftovers.hpp)
  // What init looks at while the command runs, to tell the supervisor that
  // a limit was reached (RunResult::limits_reached).
  struct LimitWatch {
    std::uint64_t processes = 0;  // limits.processes held by pid_max; 0: not watched
    bool tmp = false;             // /tmp and /dev/shm are bounded (limits.tmp)
    bool any() const { return processes != 0 || tmp; }
  } watch_limits;
};

// Who brings the sandbox's loopback interface up: nobody when the command
// stays on the host's network (audit with a "host" base) or has no network
// namespace; init when what init sets up needs it first (the gateway's
// routes and listeners, the DNS refuser); otherwise the payload, while init
// builds the mount tree (start-up time).
enum class LoopbackBy { nobody, init, payload };
LoopbackBy loopback_by(const Spec& spec);

struct HostState {
  std::vector<std::string> env;  // "K=V"
  std::string cwd;
  uid_t uid = 0;
  gid_t gid = 0;
  // Root that may map ids and switch users (kernel::may_set_ids):
  // container entrypoint mode.
  bool root = false;
  pid_t pid = 0;  // the supervisor's, for LISTEN_PID
  std::string terminal;  // the terminal on the caller's stdio ("/dev/pts/3"), empty if none
  // Relayed signals the caller ignores (Spec::ignored_signals).
  std::vector<int> ignored_signals;
  // Which of the descriptors a run could pass on (process.pass_fds,
  // LISTEN_FDS) are open.
  std::vector<int> open_fds;
  std::uint64_t memory_bytes = 0;  // the machine's, for limits.tmp as a share of it
};

// The calling process's state: the one place prepare()'s input is read from
// the process rather than given. `pass_fds`: process.pass_fds, asked
// whether open (LISTEN_FDS's descriptors are asked too).
HostState current_host_state(const std::vector<int>& pass_fds = {});

// The one step of a run that changes the host before the sandbox exists:
// "+path" write and overlay rules (caches such as ~/.npm) are created when
// missing, as the invoking user, so that a first run on a fresh machine
// works like later ones. Runs before prepare(), which binds what exists.
void make_ready_on_host(const policy::Policy& policy);

// Overwrites and drops the copy of the caller's environment in `host`, so
// that the processes forked after prepare() do not carry it.
void wipe(HostState& host);

// Pure of effects: builds every layer as data from the policy, the plan and
// the host's state; it reads the host's files (what exists, where links
// lead) and changes nothing. Throws airlock::Error with nothing applied.
Spec prepare(const policy::Policy& policy, const EnforcementPlan& plan, const std::vector<std::string>& command,
             const HostState& host);

// The whole Spec as plain, stable text, one fact per line and every layer
// with its own describer (tests/golden/ pins it per shipped profile).
std::string describe(const Spec& spec);

// The Landlock request a policy implies (exported for tests).
landlock::Request landlock_request(const policy::Policy& policy, const EnforcementPlan& plan,
                                   const std::string& executable);

// The seccomp layer's input a policy implies; `handoff`: connect() notifies.
seccomp::Request seccomp_spec(const policy::Policy& policy, bool handoff = false);

// What `airlock run` would enforce with `policy` under `plan`, layer by layer,
// then the Landlock ruleset and the seccomp filter it would load, as plain
// lines (for `airlock explain`). Built exactly as prepare() builds them, less
// the command: the command and its ELF interpreter are granted exec at run
// time, which the text says.
std::string describe_enforcement(const policy::Policy& policy, const EnforcementPlan& plan);

// PATH search as execvp does it, but against the sandbox's PATH and without
// running anything. Sets `err` to ENOENT or EACCES when nothing is found.
std::string find_executable(const std::string& name, const std::string& path_var, int& err);

}  // namespace airlock::sandbox
