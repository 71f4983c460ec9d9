#pragma once
// The payload's environment: built from the host environment and the
// policy's [environment] table (DESIGN.md, "Defence in depth": secrets are
// scrubbed from the environment even where the mount namespace and Landlock
// already hide the files they come from).
//
// Rules, applied to each host variable in turn:
//   1. a name in `allow_secrets` (exact) skips the secret checks below;
//   2. a name matching a `deny` glob is dropped, even when `keep` matches it;
//      deny globs ignore case, so "*_TOKEN" also catches "npm_config__authToken";
//   3. a name matching no `keep` glob is dropped;
//   4. a kept variable whose value looks like a credential is dropped,
//      whatever its name;
// then every `set` entry is added as given (it is the profile's own value,
// so it is never checked or dropped). Only the first of duplicate host names
// counts, as getenv(3) would see it.
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "policy/policy.hpp"

namespace airlock::environment {

// A variable that was left out, for the run report. Never holds the value.
struct Dropped {
  std::string name;
  std::string reason;  // "not kept", "secret name (matches AWS_*)",
                       // "value looks like a GitHub token", ...
};

struct Result {
  std::vector<std::pair<std::string, std::string>> env;  // sorted by name
  std::vector<Dropped> dropped;                          // in host order
};

// host_env holds "NAME=value" strings, as in environ(7). Throws airlock::Error
// for a deny pattern that still names an unexpanded "@set" (it would match
// nothing, silently letting secrets through) or for a `set` entry that cannot
// be passed to execve (empty name, '=' in the name, NUL anywhere).
Result scrub(const std::vector<std::string>& host_env, const policy::Environment& policy);

// "NAME=value" strings in the order of result.env, ready for execve(2).
std::vector<std::string> to_envp(const Result& result);

// What kind of credential the value contains ("GitHub token", "AWS access key
// id", "private key", ...), or nullopt when it looks like none. Matches
// anywhere in the value, so "Bearer ghp_..." and "token=AKIA..." count.
std::optional<std::string> credential_kind(std::string_view value);

}  // namespace airlock::environment
