#!/usr/bin/env bash
# The whole ctest suite, unit and integration tests, with the library, the
# airlock binary and the tests built with AddressSanitizer (LeakSanitizer
# included) and UndefinedBehaviorSanitizer (gcc; -DAIRLOCK_SANITIZE), in a
# build directory of its own. Any report fails the test that triggered it.
#
#   integration/sanitize.sh                    # everything
#   integration/sanitize.sh -R 'Gateway|dns'   # arguments go to ctest
#
# Inside a sandbox the instrumented airlock (its PID 1, the payload before
# execve) ends with _exit or execve, so LeakSanitizer's exit-time check
# runs only in the supervisor and in test processes: see
# tests/fuzz/README.md for the processes that need special treatment.
# Not part of ctest or .ci/run: a long run, started on purpose.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${SANITIZE_BUILD_DIR:-$root/build-asan}

bash "$root/packaging/deps.sh"
cmake -S "$root" -B "$build" -DAIRLOCK_SANITIZE=address,undefined -DAIRLOCK_WERROR=ON \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j"$(nproc)"

# abort_on_error: a report ends the process with SIGABRT, which no test
# mistakes for an ordinary exit status. halt_on_error: UBSan stops at the
# first finding instead of printing and going on.
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
cd "$build"
ctest --output-on-failure --timeout 900 -j1 "$@"
