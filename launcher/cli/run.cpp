// run: resolve the profile, plan enforcement, refuse or run in the sandbox.
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>

#include "cli/commands.hpp"
#include "kernel/features.hpp"
#include "report/hints.hpp"
#include "report/report.hpp"
#include "sandbox/plan.hpp"
#include "sandbox/run.hpp"
#include "sandbox/spec.hpp"

namespace airlock::cli {

namespace {

sandbox::EnforcementPlan plan_or_refuse(const policy::Policy& policy, const kernel::Features& features) {
  auto plan = sandbox::plan_enforcement(policy, features);
  if (!plan.complete()) {
    if (!policy.enforcement.best_effort) throw Error(sandbox::refusal_message(plan));
    for (const auto& missing : plan.missing) spdlog::warn("best effort: NOT enforced: {}", missing);
  }
  return plan;
}

}  // namespace

// The report is written after the run; a path that cannot be written must
// fail the run before anything starts, not after the command's work is done.
void check_report_path(const std::optional<std::string>& path) {
  if (!path) return;
  const auto dir = std::filesystem::path(*path).parent_path();
  const auto where = dir.empty() ? std::string(".") : dir.string();
  if (access(where.c_str(), W_OK) != 0)
    throw SystemError("--report " + *path + ": cannot write in " + where, errno);
}

int run_command(const RunArgs& args) {
  if (args.audit)
    return audit_command(AuditArgs{args.common, args.profile, args.overrides, std::nullopt, args.report_path, args.command});
  check_report_path(args.report_path);
  const auto ctx = policy::Context::current(args.common.project);
  const auto policy = policy::resolve(args.profile, make_catalog(ctx), ctx, args.overrides);
  auto features = kernel::probe(kernel::ProbeDepth::quick);
  for (int attempt = 0;; ++attempt) {
    const auto plan = plan_or_refuse(policy, features);
    auto host = sandbox::current_host_state();
    if (args.common.project) host.cwd = ctx.project;
    const auto spec = sandbox::prepare(policy, plan, args.command, host);
    sandbox::wipe(host);
    for (const auto& dropped : spec.env.dropped)
      if (dropped.reason != "not kept") spdlog::info("environment: dropped {} ({})", dropped.name, dropped.reason);
    sandbox::RunResult result;
    try {
      result = sandbox::run(spec);
    } catch (const sandbox::NamespacesUnavailable& e) {
      // The quick probe assumed namespaces; the kernel said no. Plan again
      // with what is really there: refuse, or (best effort) run without.
      if (attempt > 0) throw;
      features.user_namespaces = kernel::user_namespaces_unavailable(e.error_number(), false);
      continue;
    }
    if (!result.setup_error.empty()) spdlog::error("{}", result.setup_error);
    if (result.timed_out)
      spdlog::error("the command timed out after {} ms and was killed", policy.process.timeout->count());
    if (args.report_path)
      report::write_file(*args.report_path, report::to_json(policy, features, plan, spec, result));
    if (result.exit_status != 0)
      for (const auto& hint : report::denial_hints(policy, spec, result)) spdlog::warn("{}", hint);
    return result.exit_status;
  }
}

}  // namespace airlock::cli
