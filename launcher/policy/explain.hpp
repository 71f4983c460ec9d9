#pragma once
// Renders a resolved Policy as a flat TOML profile (no extends, no sets, no
// variables): exactly what will be enforced, each list entry annotated with
// where it came from. The output is itself a valid profile.
#include <string>

#include "policy/policy.hpp"

namespace airlock::policy {

std::string to_toml(const Policy& policy, bool with_origins = true);

}  // namespace airlock::policy
