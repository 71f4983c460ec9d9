#include "audit/session.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <set>

#include "audit/paths.hpp"
#include "audit/watch.hpp"
#include "sandbox/limits.hpp"
#include "policy/diagnostics.hpp"
#include "policy/builtin_layers.hpp"
#include "policy/document.hpp"
#include "sandbox/seccomp.hpp"

namespace airlock::audit {
namespace {

void decide(sandbox::EnforcementPlan& plan, const std::string& layer, bool ok, const std::string& detail) {
  plan.layers.push_back({layer, ok, detail});
  if (!ok) plan.missing.push_back(layer + ": " + detail);
}

// The path resolved on the host as far as it exists (symlinks such as
// /var/run -> /run or /lib -> /usr/lib), the rest as written.
std::string canonical(const std::string& path) {
  std::error_code ec;
  const auto resolved = std::filesystem::weakly_canonical(path, ec);
  return ec ? normalize_folding(path) : normalize_folding(resolved.string());
}

void add_both(std::vector<std::string>& out, const std::string& path) {
  const auto normal = normalize_folding(path);
  out.push_back(normal);
  const auto resolved = canonical(path);
  if (resolved != normal) out.push_back(resolved);
}

std::vector<std::string> rule_paths(const std::vector<policy::PathRule>& rules) {
  std::vector<std::string> out;
  for (const auto& rule : rules) add_both(out, rule.path);
  return out;
}

// The entries of a `paths` set (policies/secrets.toml), with ${home}
// expanded for this user; the last policy file defining the set wins.
std::vector<std::string> path_set(const std::string& name, const policy::Context& ctx, const policy::Catalog& catalog) {
  std::vector<policy::Item> entries;
  for (const auto& file : catalog.policy_files()) {
    policy::Diagnostics diag;
    const auto layer = policy::load_layer(file.text, file.origin, file.name, diag);
    // A later policy file may only add to a set (policy/document.hpp).
    if (const auto it = layer.sets.find(name); it != layer.sets.end())
      entries.insert(entries.end(), it->second.entries.begin(), it->second.entries.end());
  }
  policy::Variables vars(ctx, {});
  std::vector<std::string> out;
  for (const auto& entry : entries) {
    policy::Diagnostics diag;
    const policy::Item item{entry.text.starts_with('?') ? entry.text.substr(1) : entry.text, entry.where};
    const auto value = vars.expand(item, "sets." + name, diag);
    if (value && value->starts_with('/')) add_both(out, *value);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace

bool observes_names(const sandbox::EnforcementPlan& plan, policy::NetworkMode base_network) {
  return plan.namespaces && base_network != policy::NetworkMode::host;
}

sandbox::EnforcementPlan plan(const kernel::Features& f, policy::NetworkMode base_network) {
  sandbox::EnforcementPlan plan;
  plan.namespaces = f.user_namespaces.available;
  plan.seccomp = f.seccomp.available;
  const bool gateway = observes_names(plan, base_network);
  decide(plan, "namespaces", plan.namespaces,
         plan.namespaces ? std::string("user, mount, pid, ipc, uts, cgroup") +
                               (gateway ? ", net" : "; the host's network (the base's network.mode is \"host\")")
                         : f.user_namespaces.detail + " (without them the base's view cannot apply: secrets are "
                                                      "not hidden from the audited command)");
  const bool view = plan.namespaces && f.mount_setattr.available;
  decide(plan, "filesystem view", view,
         view ? "the base's view, host tree writable with your own permissions; known secrets hidden, shell "
                "start-up files read-only, private /tmp"
              : (plan.namespaces ? f.mount_setattr.detail : "needs namespaces"));
  decide(plan, "observation", f.seccomp_notify.available,
         f.seccomp_notify.available ? "seccomp user notification: file, exec, network and refused calls recorded"
                                    : f.seccomp_notify.detail);
  plan.layers.push_back({"landlock", false, "not applied: audit mode records file access instead"});
  plan.layers.push_back({"seccomp", plan.seccomp,
                         plan.seccomp ? "airlock's fixed rules only; the base's [syscalls] are recorded, not enforced"
                                      : f.seccomp.detail});
  plan.layers.push_back(
      {"network", false,
       gateway ? "the egress gateway, log-only: every name that resolves is answered, every TCP connection relayed; "
                 "names and connections are recorded"
               : "the host network: connect() destinations are recorded (names are not)"});
  plan.layers.push_back({"capabilities", true, "all sets emptied except process.capabilities"});
  plan.layers.push_back({"environment", true, "scrubbed as the base says"});
  plan.host_proc = view && !f.fresh_proc.available;
  plan.layers.push_back({"limits", true, "rlimits from [limits] and limits.tmp; limits.processes is not held "
                                         "during an audit"});
  return plan;
}

AuditedRun prepare(const policy::Policy& base, const sandbox::EnforcementPlan& plan,
                      const std::vector<std::string>& command, const sandbox::HostState& host, const Places& places) {
  policy::Policy relaxed = base;
  // Nothing of the base's network is enforced: either the log-only gateway
  // (added below) or the host network (no fresh namespace; Spec::host_network).
  relaxed.network = policy::Network{};
  relaxed.network.mode = policy::NetworkMode::host;
  const bool gateway = observes_names(plan, base.network.mode);
  sandbox::EnforcementPlan layers = plan;
  layers.landlock_abi = 0;
  layers.landlock_tcp = false;
  layers.seccomp = false;
  sandbox::Spec spec = sandbox::prepare(relaxed, layers, command, host);
  if (plan.namespaces) {
    // Control files below the project's top that exist stay read-only, as
    // in a run (sandbox::prepare found them; new ones are refused after).
    policy::Filesystem fs = base.filesystem;
    for (const auto& nested : spec.nested.existing)
      fs.protect.push_back(policy::PathRule{spec.nested.project + "/" + nested, true, {}, false});
    auto audit_view = view(fs, places, mounts::host_path_exists);
    // What the run's plan decided about /proc holds for the audit's view.
    audit_view.pid_max = spec.mounts.pid_max;
    audit_view.last_pid = spec.mounts.last_pid;
    if (const auto size = limits::tmp_size(base.limits, host.memory_bytes); size && *size != 0) mounts::limit_private_tmp(audit_view, *size);
    if (plan.host_proc) mounts::use_host_proc(audit_view);
    spec.mounts = std::move(audit_view);
  }
  // The host tree is writable during an audit: a protected path or shell
  // start-up file that does not exist yet (a fresh user's ~/.config/airlock,
  // ~/.bashrc; /etc/airlock as root) could be created, and is moved aside
  // after the run like a control file (sandbox/leftovers.hpp).
  policy::Filesystem watched = base.filesystem;
  watched.write = {policy::PathRule{"/", false, {}, false}};
  for (const auto& path : places.write_protected) watched.protect.push_back(policy::PathRule{path, true, {}, false});
  spec.watched = sandbox::watch_absent_protected(watched, [](const std::string& path) {
    struct stat st {};
    return ::lstat(path.c_str(), &st) == 0;
  });
  if (gateway) {
    spec.gateway = gateway::build_log_only(base.network);
    mounts::add_file(spec.mounts, mounts::follow_host_symlinks("/etc/resolv.conf"), spec.gateway->resolv_conf,
                     "the log-only gateway's DNS stub (audit)");
  }
  if (plan.seccomp) spec.seccomp = seccomp::build(seccomp::Request{});
  spec.host_network = !gateway;
  return {std::move(spec), std::make_unique<Recorder>(build_watch(base.syscalls), gateway)};
}

std::optional<AuditedRun> prepare_enforced(const policy::Policy& policy, const sandbox::EnforcementPlan& plan,
                                           const std::vector<std::string>& command, const sandbox::HostState& host) {
  auto watch = build_refusing_watch(policy.syscalls);
  if (!watch || !plan.seccomp) return std::nullopt;
  // A process has one notification listener: the watch's. Allowed
  // connections are relayed, not handed over (a speed-up only).
  sandbox::EnforcementPlan relayed = plan;
  relayed.handoff = false;
  sandbox::Spec spec = sandbox::prepare(policy, relayed, command, host);
  // The filter keeps every refusal the watch does not take over (calls the
  // payload makes before execve, and names this architecture lacks).
  auto request = sandbox::seccomp_spec(policy, false);
  const auto moved = refused_by_watch(*watch);
  std::erase_if(request.deny, [&](const std::string& name) {
    return std::find(moved.begin(), moved.end(), name) != moved.end();
  });
  spec.seccomp = seccomp::build(request);
  const bool behind_log_only_gateway = false;
  return AuditedRun{std::move(spec), std::make_unique<Recorder>(std::move(*watch), behind_log_only_gateway)};
}

namespace {

// The absolute PATH entries (of airlock's caller) beneath `home`.
std::vector<std::string> path_dirs_under(const std::string& home) {
  std::vector<std::string> out;
  const char* path = std::getenv("PATH");
  if (!path || home.empty() || home == "/") return out;
  const std::string_view all(path);
  std::size_t pos = 0;
  while (pos <= all.size()) {
    const auto next = std::min(all.find(':', pos), all.size());
    const std::string_view dir = all.substr(pos, next - pos);
    pos = next + 1;
    // Written as the caller wrote it (a trailing '/' dropped): PATH entries
    // are rarely anything but normal, and a grant is refused for any path
    // that overlaps one, so an odd spelling only widens the refusal.
    std::string entry(dir);
    while (entry.size() > 1 && entry.back() == '/') entry.pop_back();
    if (entry.starts_with('/') && path_within(entry, home) && entry != home) out.push_back(std::move(entry));
  }
  return out;
}

}  // namespace

Places places_for(const policy::Context& ctx, const policy::Catalog& catalog) {
  Places places;
  places.project = canonical(ctx.project);
  places.home = canonical(ctx.home);
  places.secrets = path_set("secret-files", ctx, catalog);
  // Never granted for writing, read-only during the audit, and moved aside
  // when the audit created one: shell start-up files, the other places a
  // later login, tool or the developer obeys (@persistence), and the
  // directories on PATH under home (a program planted there runs instead of
  // the real one).
  places.write_protected = path_set("shell-startup", ctx, catalog);
  for (auto& path : path_set("persistence", ctx, catalog)) places.write_protected.push_back(std::move(path));
  for (auto& dir : path_dirs_under(ctx.home)) places.write_protected.push_back(std::move(dir));
  std::sort(places.write_protected.begin(), places.write_protected.end());
  places.write_protected.erase(std::unique(places.write_protected.begin(), places.write_protected.end()),
                               places.write_protected.end());
  return places;
}

BaseView base_view(const policy::Policy& base) {
  BaseView view;
  const auto& fs = base.filesystem;
  view.read = rule_paths(fs.read);
  view.write = rule_paths(fs.write);
  view.exec = rule_paths(fs.exec);
  view.hide = rule_paths(fs.hide);
  view.protect = rule_paths(fs.protect);
  view.mode = base.network.mode;
  view.allow = base.network.allow;
  view.forward = base.network.forward;
  view.syscalls_default_deny = base.syscalls.default_action == policy::SyscallDefault::deny;
  return view;
}

}  // namespace airlock::audit
