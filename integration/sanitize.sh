#!/usr/bin/env bash
# The whole ctest suite, unit and integration tests, with the library, the
# airlock binary and the tests built with AddressSanitizer (LeakSanitizer
# included) and UndefinedBehaviorSanitizer: clang-14, in build-asan/
# (integration/sanitizer_build.sh, shared with integration/fuzz.sh). Any
# report fails the test that triggered it. Part of integration/test.sh
# (.ci/run); on its own:
#
#   integration/sanitize.sh                    # everything
#   integration/sanitize.sh -R 'Gateway|dns'   # arguments go to ctest
#
# What needed care under the sanitizers, and why each test still passes for
# its own reason, is in tests/fuzz/README.md.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/integration/sanitizer_build.sh"

configure_sanitizer_build
cmake --build "$SANITIZE_BUILD_DIR" -j"$(nproc)"
cd "$SANITIZE_BUILD_DIR"
ctest --output-on-failure --timeout 900 -j"$(nproc)" "$@"
