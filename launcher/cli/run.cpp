// run: resolve the profile, plan enforcement, refuse or hand over to the sandbox.
#include "cli/commands.hpp"
#include "kernel/features.hpp"
#include "sandbox/plan.hpp"

namespace airlock::cli {

int run_command(const RunArgs& args) {
  const auto ctx = policy::Context::current(args.common.project);
  const auto policy = policy::resolve(args.profile, make_catalog(ctx), ctx, args.overrides);
  const auto features = kernel::probe();
  const auto plan = sandbox::plan_enforcement(policy, features);
  if (!plan.complete() && !policy.enforcement.best_effort) throw Error(sandbox::refusal_message(plan));
  throw Error("the sandbox core is not built yet; refusing to run the command unsandboxed");
}

}  // namespace airlock::cli
