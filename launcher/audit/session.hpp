#pragma once
// Audit mode, end to end: the Spec of an audited run, and the canonical
// places and base view the assessment compares observations with.
//
// What "enforce nothing" means here (DESIGN.md, "Audit mode"): the command
// sees what it would see under `airlock run --profile BASE` and may do what
// the invoking user may do, so that one run shows everything it needs:
//   - the same namespaces. The network: when the base's network.mode is
//     "none" or "allowlist", a namespace of its own behind the egress
//     gateway in log-only mode, which answers every name that resolves,
//     relays every TCP connection (host loopback services included) and
//     records names and connections, so that names become `name:port`
//     entries; when it is "host", the host's, as under `run` (connect()
//     destinations are recorded, names are not);
//   - the base's filesystem view (host view even for a "minimal" base, so
//     that every path the command looks for is there to be seen), with the
//     host tree writable as far as the user's own permissions go, and:
//       * every known secret (@secret-files) hidden, whatever the base says,
//         so an audit never hands a credential to the command;
//       * shell start-up files (@shell-startup) read-only;
//       * a private /tmp, a fresh /proc and a minimal /dev, as in a run;
//   - the same scrubbed environment, capabilities, rlimits, no_new_privs;
//   - no Landlock and none of the base's [syscalls] refusals: both are
//     recorded instead (airlock's fixed seccomp rules, such as refusing
//     TIOCSTI and new namespaces, stay: no profile can lift them);
//   - writes land on the host (in the project, caches): the audit is a real
//     run of the command, not a dry run.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "audit/assess.hpp"
#include "audit/recorder.hpp"
#include "kernel/features.hpp"
#include "policy/catalog.hpp"
#include "policy/policy.hpp"
#include "policy/variables.hpp"
#include "sandbox/mounts.hpp"
#include "sandbox/plan.hpp"
#include "sandbox/spec.hpp"

namespace airlock::audit {

// What an audited run applies on this kernel. Incomplete (missing) without
// namespaces or mount_setattr (the caller may accept that with best effort)
// and without seccomp user notification (nothing to audit with: the caller
// must refuse).
// `base_network` decides how the network is observed (observes_names()).
sandbox::EnforcementPlan plan(const kernel::Features& features, policy::NetworkMode base_network);

// Whether the audit runs behind the log-only gateway (and so learns names):
// with namespaces, for a base whose network mode is not "host".
bool observes_names(const sandbox::EnforcementPlan& plan, policy::NetworkMode base_network);

// Pure: the mount plan described above, from the base's filesystem rules.
// `exists` as for mounts::build.
mounts::Layout view(const policy::Filesystem& base, const Places& places, const mounts::ExistsFn& exists);

// An audited run: the sandbox's Spec, and the Recorder to pass to
// sandbox::run() as its monitor.
struct AuditedRun {
  sandbox::Spec spec;
  std::unique_ptr<Recorder> recorder;
};

// The audited run of `command` under `base`.
AuditedRun prepare(const policy::Policy& base, const sandbox::EnforcementPlan& plan,
                      const std::vector<std::string>& command, const sandbox::HostState& host, const Places& places);

// An enforced run that names what it refuses (install-scripts): every
// layer of `policy` applied as `airlock run` applies it, watched by a
// Recorder that sees each file, exec and network call go on to Landlock,
// the view and the namespaces, which refuse it, and that refuses the
// profile's [syscalls] refusals itself (watch.hpp, refuse_errno), so that
// each one is named. nullopt when the profile's refusals cannot move to
// the watch (build_refusing_watch): the caller runs it unwatched.
std::optional<AuditedRun> prepare_enforced(const policy::Policy& policy, const sandbox::EnforcementPlan& plan,
                                           const std::vector<std::string>& command, const sandbox::HostState& host);

// The project, the home directory, @secret-files and @shell-startup,
// expanded for this user and canonicalized (each path as written and as
// resolved on the host).
Places places_for(const policy::Context& ctx, const policy::Catalog& catalog);

// The base's rules with canonical paths.
BaseView base_view(const policy::Policy& base);

}  // namespace airlock::audit
