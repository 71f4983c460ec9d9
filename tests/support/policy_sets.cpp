#include "support/policy_sets.hpp"

#include <toml.hpp>

namespace airlock::test {

std::map<std::string, PolicySet> read_policy_sets(const std::string& path) {
  const toml::value root = toml::parse(path);
  std::map<std::string, PolicySet> sets;
  for (const auto& [name, table] : toml::find<toml::table>(root, "sets")) {
    PolicySet& set = sets[name];
    set.kind = toml::find_or<std::string>(table, "kind", "");
    set.description = toml::find_or<std::string>(table, "description", "");
    set.entries = toml::find<std::vector<std::string>>(table, "entries");
  }
  return sets;
}

}  // namespace airlock::test
