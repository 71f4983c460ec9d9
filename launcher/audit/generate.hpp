#pragma once
// Pure: from an Assessment to the text of a profile that extends the base
// and adds only what the command used. Paths are collapsed to sensible
// directories (system trees whole, the project precisely, caches by
// directory), checked against the places no grant may cover (/, the home
// directory and its ancestors, known secrets and anything holding one,
// shell start-up files for writing), and written with ${project} and
// ${home}. The output is sorted and stable, so that it diffs well.
#include <string>
#include <vector>

#include "audit/assess.hpp"

namespace airlock::audit {

struct Grant {
  Access access = Access::read;
  std::string path;           // canonical
  bool optional = false;      // written "?path"
  std::string example;        // an observed path behind it (for comments: the smallest below `path`)
  bool created = false;       // the command created it during the audit
  auto operator<=>(const Grant&) const = default;
};

struct Refusal {
  Access access = Access::read;
  std::string path;
  std::string why;
  auto operator<=>(const Refusal&) const = default;
};

struct ProfilePlan {
  std::vector<Grant> grants;        // sorted by access, then path; nested grants removed
  std::vector<Refusal> refused;     // needs no safe grant covers, sorted
  std::vector<std::string> forward; // "127.0.0.1:8080"
  std::vector<std::string> allow;   // "203.0.113.7:443"
  bool allowlist = false;           // set network.mode = "allowlist"
  std::vector<std::string> syscalls;           // lifted refusals
  std::vector<std::string> syscalls_left_denied;  // used, but callers fall back when refused
  bool syscalls_default_deny = false;             // lift with `allow` (else with "!name" in `deny`)
};

struct GenerateOptions {
  std::string extends;                // the base, as `extends` must name it
  std::vector<std::string> command;   // for the header comment
  std::string airlock_version = AIRLOCK_VERSION;
};

// The directory (or file) a grant for `need` should name, before safety
// checks: exported for tests.
std::string collapse(const Need& need, const Places& places);

ProfilePlan plan_profile(const Assessment& assessment, const BaseView& base, const Places& places);

// The profile text. Also lists, as comments, every secret touched and every
// need that was refused, so that nothing is dropped silently.
std::string render(const ProfilePlan& plan, const Assessment& assessment, const Places& places,
                   const GenerateOptions& options);

// `path` as a profile writes it: ${project}/..., ${home}/..., '$' doubled.
std::string profile_path(const std::string& path, const Places& places);

}  // namespace airlock::audit
