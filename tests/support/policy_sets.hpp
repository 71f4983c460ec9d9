#pragma once
// The sets of a shipped policy file (policies/*.toml) read as the file says
// them, independently of airlock's own profile engine. Parsed here, in one
// file, because toml11's parser is the heaviest thing a test can include.
#include <map>
#include <string>
#include <vector>

namespace airlock::test {

struct PolicySet {
  std::string kind, description;
  std::vector<std::string> entries;
};

// [sets.NAME] tables of the file at `path`; throws toml11's errors.
std::map<std::string, PolicySet> read_policy_sets(const std::string& path);

}  // namespace airlock::test
