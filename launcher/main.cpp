#include <cstdio>

#include "cli/app.hpp"
#include "sandbox/namespaces.hpp"
#include "util/error.hpp"

int main(int argc, char** argv) {
  // Before anything else, argument parsing included (DESIGN.md, principle 2).
  try {
    airlock::namespaces::refuse_setuid_binary();
  } catch (const airlock::Error& e) {
    std::fprintf(stderr, "airlock: error: %s\n", e.what());
    return airlock::kExitOwnError;
  }
  return airlock::cli::main(argc, argv);
}
