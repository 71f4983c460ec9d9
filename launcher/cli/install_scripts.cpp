// install-scripts: each approved dependency's install scripts in a sandbox
// of its own, in dependency order, every refusal named.
#include <spdlog/spdlog.h>

#include <fcntl.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <sys/stat.h>

#include "audit/assess.hpp"
#include "audit/session.hpp"
#include "cli/commands.hpp"
#include "kernel/features.hpp"
#include "packages/approvals.hpp"
#include "packages/installed.hpp"
#include "packages/order.hpp"
#include "packages/script_env.hpp"
#include "policy/package_config.hpp"
#include "report/install_report.hpp"
#include "sandbox/dns_refuser.hpp"
#include "sandbox/plan.hpp"
#include "sandbox/run.hpp"
#include "sandbox/spec.hpp"
#include "util/files.hpp"
#include "util/path.hpp"

namespace airlock::cli {
namespace {

constexpr std::size_t kShownRefusals = 20;

// The command's own output, one line per event, on stderr (stdout and
// stderr carry the scripts' own output): not a warning, so not through the
// log's "warning:" lines; -q silences it.
void tell(int verbosity, const std::string& line) {
  if (verbosity >= 0) std::fprintf(stderr, "airlock: %s\n", line.c_str());
}

// What every package's run shares.
struct Session {
  const InstallScriptsArgs& args;
  const policy::Context& ctx;
  const policy::Catalog& catalog;
  const policy::Policy& base;  // the profile without a package: its per-package rules
  const audit::Places& places;
  std::string installed_project;  // canonical, as discovery found it
  packages::NpmInstallation npm;
  std::string node_headers;  // npm_config_nodedir, "" when the system has no Node headers
  kernel::Features features;
  bool told_unwatched = false;
};

// A package's directory becomes a profile variable and a writable path:
// absolute, and nothing in it that the profile would read as a variable
// ("$") or that a line of output could hide (control characters).
bool plain_path(const std::string& path) {
  return path.starts_with('/') &&
         std::none_of(path.begin(), path.end(), [](unsigned char c) { return c == '$' || c < 0x20 || c == 0x7f; });
}

// The directory is still what discovery found: a real directory, reached
// from the root without a symbolic link (an earlier package could only
// write its own directory, but nothing here is taken on trust).
bool still_a_plain_directory(const std::string& path) {
  UniqueFd fd = open_no_symlinks(path, O_PATH | O_DIRECTORY);
  return static_cast<bool>(fd);
}

// The system's Node headers, read-only, for node-gyp (no download): the
// prefix node is installed under, when it has include/node/common.gypi.
std::string node_headers_for(const std::string& node) {
  const auto prefix = std::filesystem::path(node).parent_path().parent_path();
  struct stat st {};
  return ::stat((prefix / "include/node/common.gypi").c_str(), &st) == 0 ? prefix.string() : "";
}

// The point of a sandbox per package: whatever profile it runs under, a
// package writes nothing of the project but its own directory (a profile
// that grants more, `-p default` say, would let one package rewrite
// another for the next step). Places outside the project are the profile's
// business.
void refuse_writes_beyond_the_package(const policy::Policy& policy, const std::vector<std::string>& project,
                                      const packages::Package& pkg) {
  for (const auto* rules : {&policy.filesystem.write, &policy.filesystem.overlay}) {
    for (const auto& rule : *rules) {
      for (const auto& top : project) {
        const bool covers_project = path_within(top, rule.path);
        const bool inside_project = path_within(rule.path, top);
        if (!covers_project && (!inside_project || path_within(rule.path, pkg.dir))) continue;
        throw Error("profile \"" + policy.name + "\" lets " + pkg.name + "'s scripts write " + rule.path +
                    " (" + rule.where.str() + "): under install-scripts each package may write only its own "
                    "directory; use a profile that extends npm-install-script");
      }
    }
  }
}

policy::Policy package_policy(const Session& s, const packages::Package& pkg, std::map<std::string, std::string> env) {
  policy::Overrides overrides;
  overrides.variables["package"] = pkg.dir;
  overrides.set_env = std::move(env);
  if (const auto it = s.base.install_scripts.allow_net.find(pkg.name); it != s.base.install_scripts.allow_net.end())
    overrides.allow_net = it->second;
  auto policy = policy::resolve(s.args.profile, s.catalog, s.ctx, overrides);
  refuse_writes_beyond_the_package(policy, {s.ctx.project, s.installed_project}, pkg);
  return policy;
}

sandbox::EnforcementPlan plan_for(Session& s, const policy::Policy& policy) {
  auto plan = sandbox::plan_enforcement(policy, s.features);
  if (!plan.complete() && !policy.enforcement.best_effort) {
    s.features = kernel::probe(kernel::ProbeDepth::full);
    plan = sandbox::plan_enforcement(policy, s.features);
  }
  sandbox::refuse_or_warn(plan, policy.enforcement.best_effort);
  return plan;
}

std::map<std::string, std::string> npm_script_env(const Session& s, const packages::Package& pkg,
                                                  const packages::Script& script) {
  const char* caller_path = std::getenv("PATH");
  auto env = packages::script_environment(s.installed_project, pkg, script, s.npm,
                                          caller_path ? caller_path : "/usr/local/bin:/usr/bin:/bin");
  // node-gyp builds against the system's headers, read-only, and keeps its
  // own files in the private /tmp: no download, nothing left for the next
  // package or step.
  if (!s.node_headers.empty()) env["npm_config_nodedir"] = s.node_headers;
  env["npm_config_devdir"] = "/tmp/node-gyp";
  return env;
}

// One script in the package's sandbox; its refusals are added to `outcome`.
report::ScriptOutcome run_script(Session& s, const packages::Package& pkg, const packages::Script& script,
                                 report::PackageOutcome& outcome) {
  report::ScriptOutcome done;
  done.event = script.event;
  done.command = script.command;
  const auto policy = package_policy(s, pkg, npm_script_env(s, pkg, script));
  const auto plan = plan_for(s, policy);
  auto host = sandbox::current_host_state(policy.process.pass_fds);
  host.cwd = pkg.dir;
  sandbox::make_ready_on_host(policy);
  const std::vector<std::string> command = {"/bin/sh", "-c", script.command};
  std::optional<audit::AuditedRun> watched;
  if (s.features.seccomp_notify.available) watched = audit::prepare_enforced(policy, plan, command, host);
  if (!watched && !s.told_unwatched) {
    spdlog::warn("install-scripts: refused files, connections and system calls cannot be named here ({}); "
                 "they are still refused",
                 s.features.seccomp_notify.available ? "the profile's [syscalls] are not a deny list with action errno"
                                                      : s.features.seccomp_notify.detail);
    s.told_unwatched = true;
  }
  sandbox::Spec spec = watched ? std::move(watched->spec) : sandbox::prepare(policy, plan, command, host);
  sandbox::wipe(host);
  const auto result = sandbox::run(spec, watched ? watched->recorder.get() : nullptr);
  done.exit_status = result.exit_status;
  done.signal = result.signal;
  done.timed_out = result.timed_out;
  done.setup_error = result.setup_error;
  done.seconds = std::chrono::duration<double>(result.wall).count();
  audit::Assessment assessment;
  if (watched) assessment = audit::assess(watched->recorder->observations(), audit::base_view(policy), s.places);
  for (auto& refusal : report::refusals_of(assessment, result.network)) {
    // The sandbox's own resolver answered it (the refuser, or the gateway's
    // stub at the same address): the names it refused are the "dns" refusals.
    const bool own_resolver = spec.dns_refuser || (spec.gateway && spec.gateway->dns_stub);
    if (own_resolver && refusal.kind == "connect" && refusal.subject == sandbox::DnsRefuser::kEndpoint) continue;
    outcome.refusals.push_back(std::move(refusal));
  }
  for (const auto& moved : result.left_behind)
    outcome.refusals.push_back({"write", moved.path, "a control file it created, moved aside to " + moved.moved_to});
  return done;
}

void run_package(Session& s, const packages::Package& pkg, report::PackageOutcome& outcome) {
  if (!plain_path(pkg.dir) || !still_a_plain_directory(pkg.dir)) {
    outcome.status = report::PackageStatus::failed;
    report::ScriptOutcome refused;
    refused.exit_status = kExitOwnError;
    refused.setup_error = pkg.dir + ": not a plain directory in the project";
    outcome.scripts.push_back(std::move(refused));
    spdlog::error("install-scripts: {}: {} is not a plain directory reached without symbolic links; not run",
                  report::package_label(outcome), pkg.dir);
    return;
  }
  outcome.status = report::PackageStatus::ok;
  for (const auto& script : pkg.scripts) {
    report::ScriptOutcome done;
    try {
      done = run_script(s, pkg, script, outcome);
    } catch (const Error& e) {
      // The sandbox could not be set up for this script: the package fails
      // (airlock's own error, 125), the others still run.
      done.event = script.event;
      done.command = script.command;
      done.exit_status = e.exit_code();
      done.setup_error = e.what();
    }
    const bool failed = done.exit_status != 0 || !done.setup_error.empty();
    outcome.scripts.push_back(std::move(done));
    tell(s.args.common.verbosity, report::script_line(outcome, outcome.scripts.back()));
    // npm stops a package at its first failed script.
    if (failed) {
      outcome.status = report::PackageStatus::failed;
      break;
    }
  }
  std::sort(outcome.refusals.begin(), outcome.refusals.end());
  outcome.refusals.erase(std::unique(outcome.refusals.begin(), outcome.refusals.end()), outcome.refusals.end());
  for (const auto& line : report::refusal_lines(outcome, kShownRefusals)) tell(s.args.common.verbosity, line);
}

report::PackageOutcome outcome_of(const packages::Package& pkg, const packages::Decision& decision,
                                  packages::Layout layout) {
  report::PackageOutcome out;
  out.name = pkg.name;
  out.version = pkg.version;
  out.path = pkg.relative_path;
  for (const auto& script : pkg.scripts) {
    report::ScriptOutcome declared;
    declared.event = script.event;
    declared.command = script.command;
    out.scripts.push_back(std::move(declared));
  }
  switch (decision.verdict) {
    case packages::Verdict::approved:
      out.approved_by = decision.source;
      out.status = report::PackageStatus::ok;
      break;
    case packages::Verdict::denied:
      out.status = report::PackageStatus::denied;
      out.why_not = "Denied by " + decision.source + ".";
      break;
    case packages::Verdict::unreviewed:
      out.status = report::PackageStatus::skipped;
      out.why_not = packages::approval_hint(pkg, layout);
      if (!decision.source.empty()) out.why_not += " (" + decision.source + ")";
      break;
  }
  return out;
}

}  // namespace

int install_scripts_command(const InstallScriptsArgs& args) {
  const auto ctx = policy::Context::current(args.common.project);
  const auto catalog = make_catalog(ctx);
  // The profile resolves before anything is read from the project: a bad
  // one fails here with its file:line:column.
  const auto base = policy::resolve(args.profile, catalog, ctx);
  const auto report_out = prepare_output(args.report_path, ctx, base, "--report");
  say_set_changes(base);

  const auto installed = packages::find_installed(ctx.project);
  const auto approvals = packages::read_approvals(
      installed.project, installed.layout, packages::ApprovalOptions{args.allow, args.no_project_approvals});
  const auto ordered = packages::install_order(installed);
  report::InstallScriptsResult result;
  result.project = installed.project;
  result.layout = packages::layout_name(installed.layout);
  result.warnings = installed.warnings;
  for (const auto* more : {&approvals.warnings, &ordered.warnings})
    result.warnings.insert(result.warnings.end(), more->begin(), more->end());
  for (const auto& w : result.warnings) spdlog::warn("install-scripts: {}", w);
  if (installed.scanned == 0)
    spdlog::warn("install-scripts: no installed package in {}/node_modules: install first, with scripts off "
                 "(airlock run --profile npm-ci -- npm ci)",
                 installed.project);

  std::vector<report::PackageOutcome> outcomes;
  for (const auto& pkg : ordered.packages)
    outcomes.push_back(outcome_of(pkg, packages::decide(pkg, approvals), installed.layout));

  if (args.list) {
    for (const auto& o : outcomes) {
      if (o.status == report::PackageStatus::ok) {
        for (const auto& s : o.scripts)
          tell(args.common.verbosity, "install-scripts: would run " + report::package_label(o) + " " + s.event + ": " +
                                          s.command + " (approved by " + o.approved_by + ")");
      } else {
        tell(args.common.verbosity, report::skipped_line(o));
      }
    }
    result.packages = std::move(outcomes);
    for (auto& o : result.packages)
      if (o.status == report::PackageStatus::ok) o.status = report::PackageStatus::skipped, o.why_not = "--list: nothing ran";
    if (report_out) report_out->write(report::install_scripts_json(result));
    return 0;
  }

  const auto places = audit::places_for(ctx, catalog);
  const auto found = policy::npm_installation(policy::caller_environment(),
                                              policy::hostile_places(ctx.project, ctx.home));
  const packages::NpmInstallation npm{found.node, found.root + "/node_modules/node-gyp/bin/node-gyp.js",
                                      found.root + "/node_modules/@npmcli/run-script/lib/node-gyp-bin"};
  Session session{args, ctx, catalog, base, places, installed.project, npm, node_headers_for(found.node),
                  kernel::probe(kernel::ProbeDepth::quick)};
  if (session.node_headers.empty())
    spdlog::info("install-scripts: no Node headers beside {}: node-gyp builds will fail (no download)", session.npm.node);

  // Every approved package's profile resolves, confines it and can be
  // enforced here before the first script runs: otherwise the command stops
  // with nothing run.
  for (std::size_t i = 0; i < outcomes.size(); ++i)
    if (outcomes[i].status == report::PackageStatus::ok)
      (void)plan_for(session, package_policy(session, ordered.packages[i], {}));

  for (std::size_t i = 0; i < outcomes.size(); ++i) {
    auto& outcome = outcomes[i];
    if (outcome.status != report::PackageStatus::ok) {
      tell(args.common.verbosity, report::skipped_line(outcome));
      continue;
    }
    outcome.scripts.clear();
    run_package(session, ordered.packages[i], outcome);
    if (outcome.status != report::PackageStatus::failed) continue;
    // A script that failed fails the command (1); a sandbox that could not
    // be set up is airlock's own error (125), which wins.
    const bool setup_failed = std::any_of(outcome.scripts.begin(), outcome.scripts.end(),
                                          [](const report::ScriptOutcome& sc) { return !sc.setup_error.empty(); });
    result.exit_status = setup_failed ? kExitOwnError : std::max(result.exit_status, 1);
  }
  result.packages = std::move(outcomes);
  tell(args.common.verbosity, report::summary_line(result));
  if (result.exit_status != 0) {
    std::string failed;
    for (const auto& o : result.packages)
      if (o.status == report::PackageStatus::failed) failed += (failed.empty() ? "" : ", ") + report::package_label(o);
    spdlog::error("install-scripts: failed: {}", failed);
  }
  if (report_out) report_out->write(report::install_scripts_json(result));
  return result.exit_status;
}

}  // namespace airlock::cli
