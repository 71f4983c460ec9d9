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

namespace {

// What the kernel offers, planned against the policy. The run's own clone
// tests what the quick probe assumes (user namespaces); a plan that would
// be refused is made again from the full probe, so that the refusal names
// everything that is missing, as doctor does.
sandbox::EnforcementPlan plan_run(const policy::Policy& policy, kernel::Features& features) {
  auto plan = sandbox::plan_enforcement(policy, features);
  if (plan.complete() || policy.enforcement.best_effort) return plan;
  features = kernel::probe(kernel::ProbeDepth::full);
  return sandbox::plan_enforcement(policy, features);
}

struct Planned {
  const RunArgs& args;
  const policy::Context& ctx;
  const policy::Policy& policy;
  const std::optional<OutputFile>& report_out;
};

// Refuses or runs under `plan`, then says how it went. A refusal, and any
// set-up error before the command started, still writes the report.
// `may_plan_again`: a refused clone into namespaces is the caller's to plan
// again, so it is not reported yet.
int run_under(const Planned& run, const kernel::Features& features, const sandbox::EnforcementPlan& plan,
              bool may_plan_again = false) {
  sandbox::Spec spec;
  sandbox::RunResult result;
  try {
    sandbox::refuse_or_warn(plan, run.policy.enforcement.best_effort);
    auto host = sandbox::current_host_state(run.policy.process.pass_fds);
    if (run.args.common.project) host.cwd = run.ctx.project;
    sandbox::make_ready_on_host(run.policy);
    spec = sandbox::prepare(run.policy, plan, run.args.command, host);
    sandbox::wipe(host);
    for (const auto& dropped : spec.env.dropped)
      if (dropped.reason != "not kept") spdlog::info("environment: dropped {} ({})", dropped.name, dropped.reason);
    result = sandbox::run(spec);
  } catch (const Error& e) {
    if (!may_plan_again || dynamic_cast<const sandbox::NamespacesUnavailable*>(&e) == nullptr)
      report_refusal(run.report_out, run.args, run.policy, features, plan, e);
    throw;
  }
  if (!result.setup_error.empty()) spdlog::error("{}", result.setup_error);
  if (result.timed_out)
    spdlog::error("the command timed out after {} ms and was killed", run.policy.process.timeout->count());
  if (run.report_out) run.report_out->write(report::to_json(run.policy, features, plan, spec, result));
  if (result.exit_status != 0)
    for (const auto& hint : report::denial_hints(run.policy, spec, result)) spdlog::warn("{}", hint);
  point_at_complain_mode(run.args, plan, result);
  return result.exit_status;
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
  const Planned run{args, ctx, policy, report_out};
  auto features = kernel::probe(kernel::ProbeDepth::quick);
  const auto plan = plan_run(policy, features);
  if (!plan.namespaces) return run_under(run, features, plan);
  try {
    return run_under(run, features, plan, true);
  } catch (const sandbox::NamespacesUnavailable& e) {
    // The quick probe assumed namespaces; the kernel said no, and nothing
    // started. Plan again with what is really there: refuse, or (best
    // effort) run without.
    features.user_namespaces = kernel::user_namespaces_unavailable(e.error_number(), false);
    return run_under(run, features, plan_run(policy, features));
  }
}

}  // namespace airlock::cli
