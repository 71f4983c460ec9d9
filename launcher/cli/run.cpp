// run: resolve the profile, plan enforcement, refuse or run in the sandbox.
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <filesystem>

#include "cli/commands.hpp"
#include "kernel/features.hpp"
#include "policy/token_phase.hpp"
#include "report/hints.hpp"
#include "report/report.hpp"
#include "sandbox/plan.hpp"
#include "sandbox/run.hpp"
#include "sandbox/spec.hpp"
#include "util/shell.hpp"

namespace airlock::cli {

namespace {

void refuse_or_warn(const policy::Policy& policy, const sandbox::EnforcementPlan& plan) {
  sandbox::refuse_or_warn(plan, policy.enforcement.best_effort);
}

}  // namespace

namespace {

// A run refused once its profile resolved (a missing feature, a set-up
// error before anything started) still leaves its report, which is what a
// CI job uploads to learn why: the kernel found, the plan and what it
// lacked, and the refusal as the result's set-up error. The variables that
// would have been dropped are not computed for it.
void report_refusal(const std::optional<OutputFile>& report_out, const RunArgs& args, const policy::Policy& policy, const kernel::Features& features,
                    const sandbox::EnforcementPlan& plan, const Error& refusal) {
  if (!report_out) return;
  sandbox::Spec spec;
  spec.argv = args.command;
  sandbox::RunResult result;
  result.exit_status = refusal.exit_code();
  result.setup_error = refusal.what();
  try {
    report_out->write(report::to_json(policy, features, plan, spec, result));
  } catch (const Error& e) {
    spdlog::error("{}", e.what());  // the refusal itself is what the caller must see
  }
}

// The same invocation in complain mode: `run` becomes `run --audit`.
std::string in_complain_mode(const std::vector<std::string>& invocation) {
  std::string line = "airlock";
  bool added = false;
  for (const auto& word : invocation) {
    line += " " + shell_word(word);
    if (!added && word == "run") {
      line += " --audit";
      added = true;
    }
  }
  return line;
}

// Landlock, a hidden path and seccomp refuse without a word to anyone but
// the command (EACCES, ENOENT, EPERM), which may not say either: a failed
// run points at complain mode, which names each refusal.
void point_at_complain_mode(const RunArgs& args, const sandbox::EnforcementPlan& plan,
                            const sandbox::RunResult& result) {
  if (result.exit_status == 0 || result.timed_out || !result.setup_error.empty() || args.invocation.empty()) return;
  if (plan.landlock_abi == 0 && !plan.seccomp && !plan.namespaces) return;
  spdlog::warn("the command failed. Files refused by Landlock or hidden by the view, and system calls refused by "
               "seccomp, fail with EACCES, ENOENT or EPERM and are not named here. Complain mode names each one, "
               "but enforces nothing beyond hiding the known secrets, so use it only on code you trust: {}",
               in_complain_mode(args.invocation));
}

}  // namespace

int run_command(const RunArgs& args) {
  if (args.audit)
    return audit_command(AuditArgs{args.common, args.profile, args.overrides, std::nullopt, args.report_path, args.command});
  const auto ctx = policy::Context::current(args.common.project);
  const auto policy = policy::resolve(args.profile, make_catalog(ctx), ctx, args.overrides);
  // The report is written after the run; a path that cannot be written must
  // fail the run before anything starts, not after the command's work is done.
  const auto report_out = prepare_output(args.report_path, ctx, policy, "--report");
  say_set_changes(policy);
  policy::check_token_phase(policy, ctx.project);
  auto features = kernel::probe(kernel::ProbeDepth::quick);
  bool probed_fully = false;
  for (int attempt = 0;; ++attempt) {
    const auto plan = sandbox::plan_enforcement(policy, features);
    // A refusal names everything that is missing, as doctor does: what the
    // quick probe assumed (user namespaces) is tried first. Only on this path.
    if (!plan.complete() && !policy.enforcement.best_effort && !probed_fully) {
      features = kernel::probe(kernel::ProbeDepth::full);
      probed_fully = true;
      continue;
    }
    sandbox::Spec spec;
    sandbox::RunResult result;
    try {
      refuse_or_warn(policy, plan);
      auto host = sandbox::current_host_state();
      if (args.common.project) host.cwd = ctx.project;
      spec = sandbox::prepare(policy, plan, args.command, host);
      sandbox::wipe(host);
      for (const auto& dropped : spec.env.dropped)
        if (dropped.reason != "not kept") spdlog::info("environment: dropped {} ({})", dropped.name, dropped.reason);
      result = sandbox::run(spec);
    } catch (const sandbox::NamespacesUnavailable& e) {
      // The quick probe assumed namespaces; the kernel said no. Plan again
      // with what is really there: refuse, or (best effort) run without.
      if (attempt == 0) {
        features.user_namespaces = kernel::user_namespaces_unavailable(e.error_number(), false);
        continue;
      }
      report_refusal(report_out, args, policy, features, plan, e);
      throw;
    } catch (const Error& e) {
      report_refusal(report_out, args, policy, features, plan, e);
      throw;
    }
    if (!result.setup_error.empty()) spdlog::error("{}", result.setup_error);
    if (result.timed_out)
      spdlog::error("the command timed out after {} ms and was killed", policy.process.timeout->count());
    if (report_out) report_out->write(report::to_json(policy, features, plan, spec, result));
    if (result.exit_status != 0)
      for (const auto& hint : report::denial_hints(policy, spec, result)) spdlog::warn("{}", hint);
    point_at_complain_mode(args, plan, result);
    return result.exit_status;
  }
}

}  // namespace airlock::cli
