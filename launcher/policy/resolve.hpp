#pragma once
// From a profile reference to the immutable Policy: load the extends chain
// (cycles refused), merge it base first, expand @sets and ${variables},
// apply command-line overrides as the last layer, and validate everything.
// Every problem is reported at once, each with file:line:column.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "policy/catalog.hpp"
#include "policy/policy.hpp"
#include "policy/variables.hpp"

namespace airlock::policy {

// What `airlock run` flags add on top of the profile.
struct Overrides {
  std::vector<std::string> allow_read, allow_write, allow_exec, allow_net, keep_env;
  std::vector<std::string> forward, publish;  // network.forward, network.publish
  std::map<std::string, std::string> set_env;
  std::optional<std::string> timeout;
  bool best_effort = false;
  // Profile variables defined or replaced by the caller (install-scripts
  // sets ${package}); expanded like the profile's own [variables].
  std::map<std::string, std::string> variables;
  bool empty() const;
};

Policy resolve(const std::string& profile_ref, const Catalog& catalog, const Context& ctx,
               const Overrides& overrides = {});

// The profile `run`, `explain` and `doctor` use when none is named.
inline constexpr const char* kDefaultProfile = "default";

}  // namespace airlock::policy
