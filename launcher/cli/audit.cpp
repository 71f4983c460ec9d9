// audit (and run --audit): run the command with nothing enforced, watch it,
// report what the base profile would refuse and, for `audit`, write the
// profile that extends the base with what the command used.
#include <spdlog/spdlog.h>

#include <filesystem>

#include "audit/assess.hpp"
#include "audit/generate.hpp"
#include "audit/audit_report.hpp"
#include "audit/session.hpp"
#include "audit/traffic.hpp"
#include "cli/commands.hpp"
#include "kernel/features.hpp"
#include "policy/token_phase.hpp"
#include "report/report.hpp"
#include "sandbox/run.hpp"

namespace airlock::cli {
namespace {

constexpr std::size_t kShownViolations = 20;

void refuse_or_warn(const sandbox::EnforcementPlan& plan, const kernel::Features& features, bool best_effort) {
  if (!features.seccomp_notify.available)
    throw Error("audit mode needs seccomp user notification: " + features.seccomp_notify.detail);
  sandbox::refuse_or_warn(plan, best_effort, "NOT applied");
}

// How the generated profile names its base: a file by absolute path (the
// generated file may live elsewhere), a profile by name.
std::string extends_ref(const std::string& profile) {
  const bool is_path = profile.find('/') != std::string::npos || profile.ends_with(".toml");
  return is_path ? std::filesystem::absolute(profile).lexically_normal().string() : profile;
}

}  // namespace

int audit_command(const AuditArgs& args) {
  const auto ctx = policy::Context::current(args.common.project);
  const auto catalog = make_catalog(ctx);
  const auto base = policy::resolve(args.profile, catalog, ctx, args.overrides);
  say_set_changes(base);
  // During an audit the host tree is writable with the caller's own
  // permissions: the home directory too is a place the command could plant
  // a link for these files.
  const auto output_out = prepare_output(args.output, ctx, base, "-o", {ctx.home});
  const auto report_out = prepare_output(args.report_path, ctx, base, "--report", {ctx.home});
  policy::check_token_phase(base, ctx.project);
  const auto features = kernel::probe();
  const auto plan = audit::plan(features, base.network.mode);
  refuse_or_warn(plan, features, base.enforcement.best_effort);

  const auto places = audit::places_for(ctx, catalog);
  auto host = sandbox::current_host_state(base.process.pass_fds);
  if (args.common.project) host.cwd = ctx.project;
  sandbox::make_ready_on_host(base);
  const auto audited = audit::prepare(base, plan, args.command, host, places);
  const auto& spec = audited.spec;
  const auto result = sandbox::run(spec, audited.recorder.get());
  if (!result.setup_error.empty()) spdlog::error("{}", result.setup_error);
  if (result.timed_out) spdlog::error("the command timed out after {} ms and was killed", base.process.timeout->count());

  audit::Observations& seen = audited.recorder->observations();
  if (result.network && result.network->log_only) audit::absorb(seen, result.network->traffic);
  const auto assessment = audit::assess(seen, audit::base_view(base), places);
  for (const auto& line : audit::secret_lines(assessment, spec.env.dropped)) spdlog::warn("{}", line);
  for (const auto& line : audit::violation_lines(assessment, args.profile, kShownViolations)) spdlog::warn("{}", line);
  for (const auto& line : audit::name_lines(seen, kShownViolations)) spdlog::info("{}", line);

  std::optional<audit::ProfilePlan> generated;
  if (args.output) {
    generated = audit::plan_profile(assessment, audit::base_view(base), places);
    audit::GenerateOptions options;
    options.extends = extends_ref(args.profile);
    options.command = args.command;
    output_out->write(audit::render(*generated, assessment, places, options));
    spdlog::warn("audit: wrote {} ({})", *args.output, audit::plan_summary(*generated));
    if (result.exit_status != 0)
      spdlog::warn("audit: the command failed (exit status {}): the profile covers only what it did until then",
                   result.exit_status);
  }
  if (args.report_path) {
    audit::ReportInput in{args.profile, &seen, &assessment, generated ? &*generated : nullptr, &places,
                          args.output.value_or(""), spec.env.dropped};
    report_out->write(audit::report_json(report::to_json(base, features, plan, spec, result), in));
  }
  return result.exit_status;
}

}  // namespace airlock::cli
