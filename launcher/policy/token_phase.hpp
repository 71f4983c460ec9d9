#pragma once
// The token phase (process.token_phase): a profile whose command holds a
// package manager's credentials (npm-ci holds NPM_TOKEN and ~/.npmrc) must
// not take orders from the project, which every earlier step could write.
// The project's .npmrc may not name a registry, a credential or TLS/proxy
// setting (where the token goes), or a program npm runs (git,
// script-shell, node-gyp, ...); the run is refused with the file and line.
// Only the user's and the system's configuration decide where a token goes.
#include <string>
#include <vector>

#include "policy/policy.hpp"

namespace airlock::policy {

struct ConfigOrder {
  int line = 0;
  std::string key;
  std::string why;  // "names a registry", "names a program npm runs", ...
};

// Pure: the lines of an .npmrc that a token phase refuses.
std::vector<ConfigOrder> npmrc_orders(const std::string& text);

// Checks the project's configuration of every tool in
// policy.process.token_phase: every .npmrc in the project (npm reads the one
// of its project root, and `npm --prefix DIR` or a `cd` in the command makes
// any directory one), node_modules and .git left out. Throws airlock::Error
// naming every refused line as file:line, or a .npmrc that is a symbolic
// link or not a regular file.
void check_token_phase(const Policy& policy, const std::string& project);

}  // namespace airlock::policy
