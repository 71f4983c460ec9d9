#pragma once
// The run report (--report FILE): what ran, under which profile, what each
// layer enforced on this kernel, which environment names were dropped
// (never values), and how it ended. JSON via nlohmann::json.
#include <string>
#include <vector>

#include "kernel/features.hpp"
#include "policy/policy.hpp"
#include "sandbox/plan.hpp"
#include "sandbox/run.hpp"
#include "sandbox/spec.hpp"

namespace airlock::report {

inline constexpr int kSchemaVersion = 1;

std::string to_json(const policy::Policy& policy, const kernel::Features& features,
                    const sandbox::EnforcementPlan& plan, const sandbox::Spec& spec, const sandbox::RunResult& result);


}  // namespace airlock::report
