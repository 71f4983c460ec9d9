#pragma once
// When a run fails and airlock refused something during it, the last lines
// on stderr say what was refused and the flag or profile entry that would
// allow it, so the failure explains itself without re-running with -v.
#include <string>
#include <vector>

#include "policy/policy.hpp"
#include "sandbox/run.hpp"
#include "sandbox/spec.hpp"

namespace airlock::report {

// Pure: one line per distinct denial, in the order they happened (network
// first, then secret environment names dropped). Empty when nothing was
// denied. `profile` is the name the user passed to --profile.
std::vector<std::string> denial_hints(const policy::Policy& policy, const sandbox::Spec& spec,
                                      const sandbox::RunResult& result);

}  // namespace airlock::report
