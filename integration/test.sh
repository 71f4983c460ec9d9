#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine: installs what it
# needs (toolchain included), then runs three stages:
#   1. tests: a Release build with gcc 12 and warnings as errors (build/),
#      and every unit and integration test in it (ctest; as root and, where
#      the tests say so, as uid 65534);
#   2. sanitizers: the unit tests and the integration tests that drive the
#      parsers, the gateway and the audit, built with AddressSanitizer
#      (LeakSanitizer included) and UndefinedBehaviorSanitizer, clang-14
#      with warnings as errors, in build-asan/ (integration/sanitize.sh);
#   3. fuzz: every libFuzzer target for FUZZ_SECONDS (20) seconds from its
#      committed corpus, linked against stage 2's instrumented library
#      (integration/fuzz.sh).
# Two cores take about 13 minutes (README, Testing).
# A failing stage does not stop the next; the exit status is 1 if any
# failed, and the last lines say which, with each stage's time. Arguments
# go to both ctest runs (-R gateway). AIRLOCK_STAGES="tests" runs only
# some stages.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
stages=${AIRLOCK_STAGES:-tests sanitizers fuzz}
build=${AIRLOCK_BUILD_DIR:-build}

stage_tests() {
  bash packaging/deps.sh &&
    cmake -S . -B "$build" -DAIRLOCK_WERROR=ON -DCMAKE_BUILD_TYPE=Release >/dev/null &&
    cmake --build "$build" -j"$(nproc)" &&
    # One more test than cores: many integration tests wait on timers.
    (cd "$build" && ctest --output-on-failure --timeout 600 -j"$(($(nproc) + 1))" "$@")
}
stage_sanitizers() { bash integration/sanitize.sh "$@"; }
stage_fuzz() { FUZZ_SECONDS=${FUZZ_SECONDS:-20} bash integration/fuzz.sh; }

summary=()
failed=0
for stage in $stages; do
  echo "==== stage $stage"
  start=$SECONDS
  if "stage_$stage" "$@"; then result=ok; else result=FAILED; failed=1; fi
  summary+=("$(printf '%-6s %-10s %4ds' "$result" "$stage" $((SECONDS - start)))")
done
echo "==== summary"
printf '%s\n' "${summary[@]}"
exit "$failed"
