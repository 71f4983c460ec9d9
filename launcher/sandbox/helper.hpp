#pragma once
// Programs airlock runs for itself before any sandbox exists: a package
// manager asked where its registries are (@npm-registries, @pip-indexes).
// Everything a sandboxed step can write is hostile (README, "Trust model"),
// so a helper is never looked up in, started in, or configured from the
// project: it is found on the absolute PATH entries outside the project,
// runs with "/" as its working directory and an environment built from
// scratch, and is confined by Landlock (read-only everywhere, no TCP) and
// seccomp (no socket(2), ptrace or io_uring). It can read what the user can
// read, write nothing and reach nobody; only its answer is used.
#include <chrono>
#include <string>
#include <vector>

namespace airlock::sandbox {

struct Helper {
  std::string program;            // a name looked up on the trusted PATH, e.g. "npm"
  std::vector<std::string> args;  // after the program
  // Names (exact, or prefixes ending in '*') passed from the caller's
  // environment besides HOME and the trusted PATH.
  std::vector<std::string> pass_env;
  // Of those, the ones that name a file the helper reads as configuration:
  // refused when they point into the project.
  std::vector<std::string> path_env;
  std::chrono::seconds timeout{30};
};

// Where a sandboxed step may have written: the project, the caches the
// shipped profiles make writable (~/.cache, ~/.npm, ~/.ccache). A helper is
// never found there, and its configuration never read from there.
std::vector<std::string> hostile_places(const std::string& project, const std::string& home);

// The PATH a helper gets: the caller's absolute entries, without those at or
// beneath a hostile place (a step could plant `npm` or `python3` there). Pure.
std::string trusted_path(const std::string& caller_path, const std::vector<std::string>& hostile);

// The helper's environment, "NAME=value" strings, from the caller's
// `environ`-style list. Throws airlock::Error when HOME or a path_env
// variable names a hostile place. Pure.
std::vector<std::string> helper_environment(const Helper& helper, const std::vector<std::string>& caller_env,
                                            const std::vector<std::string>& hostile);

// Runs the helper and returns what it printed on stdout. Throws
// airlock::Error when it cannot be found outside the hostile places, fails,
// or runs past its timeout. It cannot leave its process group (seccomp
// refuses setsid and setpgid), and the group is killed when it ends, so
// nothing it started outlives it.
std::string run_helper(const Helper& helper, const std::vector<std::string>& hostile);

}  // namespace airlock::sandbox
