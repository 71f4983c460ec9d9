#pragma once
// Audit mode, end to end: the Spec of an audited run, and the canonical
// places and base view the assessment compares observations with.
//
// What "enforce nothing" means here (DESIGN.md, "Audit mode"): the command
// sees what it would see under `airlock run --profile BASE` and may do what
// the invoking user may do, so that one run shows everything it needs:
//   - the same namespaces, except the network: the host's (until the
//     gateway has a log-only mode), so connections work and are recorded;
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
#include <string>
#include <vector>

#include "audit/assess.hpp"
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
sandbox::EnforcementPlan plan(const kernel::Features& features);

// Pure: the mount plan described above, from the base's filesystem rules.
// `exists` as for mounts::build.
mounts::Plan view(const policy::Filesystem& base, const Places& places, const mounts::ExistsFn& exists);

// The Spec of an audited run of `command` under `base`.
sandbox::Spec prepare(const policy::Policy& base, const sandbox::EnforcementPlan& plan,
                      const std::vector<std::string>& command, const sandbox::HostState& host, const Places& places);

// The project, the home directory, @secret-files and @shell-startup,
// expanded for this user and canonicalized (each path as written and as
// resolved on the host).
Places places_for(const policy::Context& ctx, const policy::Catalog& catalog);

// The base's rules with canonical paths.
BaseView base_view(const policy::Policy& base);

}  // namespace airlock::audit
