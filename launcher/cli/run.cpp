// run: resolve the profile, plan enforcement, refuse or run in the sandbox.
#include <spdlog/spdlog.h>

#include "cli/commands.hpp"
#include "kernel/features.hpp"
#include "report/report.hpp"
#include "sandbox/plan.hpp"
#include "sandbox/run.hpp"
#include "sandbox/spec.hpp"

namespace airlock::cli {

int run_command(const RunArgs& args) {
  if (args.audit) return audit_command(AuditArgs{args.common, args.profile, args.overrides, std::nullopt,
                                                 args.report_path, args.command});
  const auto ctx = policy::Context::current(args.common.project);
  const auto policy = policy::resolve(args.profile, make_catalog(ctx), ctx, args.overrides);
  const auto features = kernel::probe();
  const auto plan = sandbox::plan_enforcement(policy, features);
  if (!plan.complete()) {
    if (!policy.enforcement.best_effort) throw Error(sandbox::refusal_message(plan));
    for (const auto& missing : plan.missing) spdlog::warn("best effort: NOT enforced: {}", missing);
  }
  auto host = sandbox::current_host_state();
  if (args.common.project) host.cwd = ctx.project;
  const auto spec = sandbox::prepare(policy, plan, args.command, host);
  for (const auto& dropped : spec.env.dropped)
    if (dropped.reason != "not kept") spdlog::info("environment: dropped {} ({})", dropped.name, dropped.reason);

  const auto result = sandbox::run(spec);
  if (!result.setup_error.empty()) spdlog::error("{}", result.setup_error);
  if (result.timed_out) spdlog::error("the command timed out after {} ms and was killed", policy.process.timeout->count());
  if (args.report_path)
    report::write_file(*args.report_path, report::to_json(policy, features, plan, spec, result));
  return result.exit_status;
}

}  // namespace airlock::cli
