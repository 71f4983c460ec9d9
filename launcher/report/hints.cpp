#include "report/hints.hpp"

#include <algorithm>

#include "gateway/dns.hpp"

namespace airlock::report {
namespace {

// "other.invalid (AAAA)" -> "other.invalid"; a name without its type
// (the DNS refuser's) as it is.
std::string queried_name(const std::string& what) {
  return what.ends_with(')') ? what.substr(0, what.rfind(" (")) : what;
}

std::string profile_entry(const policy::Policy& policy, const std::string& section_key, const std::string& value) {
  return section_key + " = [\"" + value + "\"] in a profile that extends \"" + policy.name + "\"";
}

}  // namespace

std::vector<std::string> denial_hints(const policy::Policy& policy, const sandbox::Spec& spec,
                                      const sandbox::RunResult& result) {
  std::vector<std::string> hints;
  if (result.network) {
    std::vector<std::string> names_seen;
    for (const auto& q : result.network->denied_queries) {
      const auto name = queried_name(q.what);
      if (std::find(names_seen.begin(), names_seen.end(), name) != names_seen.end()) continue;
      names_seen.push_back(name);
      if (gateway::dns::name_withheld(name)) {
        hints.push_back("denied: DNS lookup of " + name + " (" + q.reason +
                        "); a label that long may carry data out, so it is not shown, and no rule is suggested");
        continue;
      }
      hints.push_back("denied: DNS lookup of " + name + " (" + q.reason + "). To allow it: --allow-net " + name +
                      ":PORT (e.g. :443), or " + profile_entry(policy, "network.allow", name + ":443"));
    }
    for (const auto& c : result.network->denied_connections)
      hints.push_back("denied: connection to " + c.what + " (" + c.reason + "). To allow it: --allow-net " + c.what +
                      ", or " + profile_entry(policy, "network.allow", c.what));
  }
  for (const auto& d : spec.env.dropped) {
    if (d.reason == "not kept" || d.reason == "duplicate") continue;
    hints.push_back("dropped from the environment: " + d.name + " (" + d.reason +
                    "). If the command needs it: --keep-env " + d.name + " and " +
                    profile_entry(policy, "environment.allow_secrets", d.name));
  }
  return hints;
}

}  // namespace airlock::report
