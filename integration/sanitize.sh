#!/usr/bin/env bash
# The ctest suite with the library, the airlock binary and the tests built
# with AddressSanitizer (LeakSanitizer included) and UndefinedBehaviorSanitizer:
# clang-14, in build-asan/ (integration/sanitizer_build.sh, shared with
# integration/fuzz.sh). Any report fails the test that triggered it. Part of
# integration/test.sh (.ci/run); on its own:
#
#   integration/sanitize.sh                    # the CI selection (below)
#   integration/sanitize.sh -R .               # everything
#   integration/sanitize.sh -R 'Gateway|dns'   # arguments go to ctest
#
# The CI selection: every unit test, and the integration tests that feed
# airlock's own parsing and protocol code what a command sends it (profiles,
# DNS, the gateway's relay and handoff, the audit's observer, reports, the
# hostile project): those whose header says "# ctest-labels: sanitize". The suites that spend their time in the kernel (escapes,
# between steps, caches, containers) run in stage 1 only; under the
# sanitizers they would double CI's time for code the selection already runs.
#
# What needed care under the sanitizers, and why each test still passes for
# its own reason, is in tests/fuzz/README.md.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/integration/sanitizer_build.sh"

# The selection: unit tests are labelled "unit", the chosen integration
# scripts say "# ctest-labels: sanitize" in their header.
(($# > 0)) || set -- -L '^(unit|sanitize)$'
configure_sanitizer_build
cmake --build "$SANITIZE_BUILD_DIR" -j"$(nproc)"
cd "$SANITIZE_BUILD_DIR"
ctest --output-on-failure --timeout 900 -j"$(($(nproc) + 1))" "$@"
