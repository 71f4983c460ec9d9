#include <unistd.h>

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
    // At once: a process with privileges it must not use runs no exit
    // handlers, its libraries' included (a sanitizer's leak check cannot
    // trace a setuid process and would turn the refusal into its own status).
    std::fflush(stderr);
    _exit(airlock::kExitOwnError);
  }
  return airlock::cli::main(argc, argv);
}
