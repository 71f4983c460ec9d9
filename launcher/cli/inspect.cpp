// check, explain and profiles: the commands that read profiles and run nothing.
#include <spdlog/spdlog.h>

#include <iostream>
#include <sstream>

#include "cli/commands.hpp"
#include "kernel/features.hpp"
#include "policy/diagnostics.hpp"
#include "policy/builtin_layers.hpp"
#include "policy/document.hpp"
#include "policy/explain.hpp"
#include "sandbox/plan.hpp"
#include "sandbox/spec.hpp"

namespace airlock::cli {

policy::Catalog make_catalog(const policy::Context& ctx) { return policy::Catalog::standard(ctx.project, ctx.home); }

void say_set_changes(const policy::Policy& policy) {
  for (const auto& change : policy.replaced_sets) spdlog::warn("profile: {}", change);
  for (const auto& change : policy.extended_sets) spdlog::info("profile: {}", change);
}

std::optional<OutputFile> prepare_output(const std::optional<std::string>& path, const policy::Context& ctx,
                                         const policy::Policy& policy, const std::string& option,
                                         const std::vector<std::string>& also_hostile) {
  if (!path) return std::nullopt;
  std::vector<std::string> hostile{ctx.project};
  for (const auto& rule : policy.filesystem.write) hostile.push_back(rule.path);
  hostile.insert(hostile.end(), also_hostile.begin(), also_hostile.end());
  return OutputFile::prepare(*path, hostile, option);
}

int check_command(const Common& common, const std::vector<std::string>& profiles) {
  const auto ctx = policy::Context::current(common.project);
  const auto catalog = make_catalog(ctx).for_review();
  int failures = 0;
  for (const auto& ref : profiles) {
    try {
      const auto policy = policy::resolve(ref, catalog, ctx);
      std::cout << ref << ": ok (" << policy.chain.back() << ")\n";
    } catch (const policy::ProfileError& e) {
      ++failures;
      for (const auto& message : e.messages()) std::cerr << message << "\n";
      std::cout << ref << ": " << e.messages().size() << " error" << (e.messages().size() == 1 ? "" : "s") << "\n";
    } catch (const Error& e) {
      ++failures;
      std::cerr << "airlock: error: " << e.what() << "\n";
      std::cout << ref << ": not loaded\n";
    }
  }
  return failures == 0 ? 0 : kExitOwnError;
}

int explain_command(const Common& common, const std::string& profile, const policy::Overrides& overrides) {
  const auto ctx = policy::Context::current(common.project);
  const auto policy = policy::resolve(profile, make_catalog(ctx), ctx, overrides);
  std::cout << policy::to_toml(policy);
  // Comments only, so that the output stays a valid profile.
  const auto plan = sandbox::plan_enforcement(policy, kernel::probe());
  std::cout << "\n# enforcement on this kernel (probed now; what `airlock run` would do here)\n";
  std::istringstream lines(sandbox::describe_enforcement(policy, plan));
  for (std::string line; std::getline(lines, line);) std::cout << (line.empty() ? "#" : "#   " + line) << "\n";
  return 0;
}

int profiles_command(const Common& common) {
  const auto ctx = policy::Context::current(common.project);
  const auto catalog = make_catalog(ctx);
  for (const auto& source : catalog.profiles()) {
    policy::Diagnostics diag;
    const auto layer = policy::load_layer(source.text, source.origin, source.name, diag);
    std::string description = diag.empty() ? layer.description : "(invalid: run `airlock check " + source.name + "`)";
    std::cout << source.name << std::string(source.name.size() < 14 ? 14 - source.name.size() : 1, ' ')
              << description << "\n"
              << std::string(14, ' ') << "from " << source.origin << "\n";
  }
  return 0;
}

}  // namespace airlock::cli
