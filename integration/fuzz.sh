#!/usr/bin/env bash
# Fuzzes the code that reads untrusted bytes: profiles (parse_layer and
# resolve), the DNS stub's packets, network.allow / forward / publish entries
# and the gateway's matcher (tests/fuzz/README.md). The libFuzzer targets
# link the library of the sanitizer build (clang-14, ASan and UBSan,
# build-asan/: integration/sanitizer_build.sh, shared with
# integration/sanitize.sh, so after that script only the targets are
# linked); each runs for FUZZ_SECONDS (default 60) from its committed
# corpus. Exits non-zero when any target crashes, leaks, trips UBSan, times
# out or runs out of memory; the input is saved and the way to replay it
# printed. Part of integration/test.sh (.ci/run), 30 s per target there.
#
#   FUZZ_SECONDS=30 integration/fuzz.sh            # every target, 30 s each
#   FUZZ_TARGETS="dns egress" integration/fuzz.sh   # some of them
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
seconds=${FUZZ_SECONDS:-60}
targets=${FUZZ_TARGETS:-profile dns egress}
source "$root/integration/sanitizer_build.sh"
build=$SANITIZE_BUILD_DIR

configure_sanitizer_build
cmake --build "$build" -j"$(nproc)" --target fuzz

# LeakSanitizer runs after every input (libFuzzer's -detect_leaks).
failed=()
for target in $targets; do
  seeds="$root/tests/fuzz/corpus/$target"
  [[ -d $seeds ]] || { echo "fuzz.sh: no target \"$target\" (no $seeds)" >&2; exit 2; }
  # New inputs go to a working corpus kept between runs; the committed one is
  # only read. Artifacts (crash-*, leak-*, timeout-*, oom-*) go next to it.
  work="$build/fuzz/corpus/$target"
  artifacts="$build/fuzz/artifacts/$target"
  log="$build/fuzz/$target.log"
  mkdir -p "$work" "$artifacts"
  rm -f "$artifacts"/*  # a previous run's findings were reported by that run
  options=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
           -artifact_prefix="$artifacts/")
  [[ -f $root/tests/fuzz/$target.dict ]] && options+=(-dict="$root/tests/fuzz/$target.dict")
  echo "== fuzz_$target: ${seconds}s from $(find "$seeds" -type f | wc -l) seeds (log: $log)"
  rc=0
  # A profile may `extends` any path: with no terminal and stdin at EOF, a
  # mutated "/dev/tty" or "/dev/stdin" cannot block the run.
  setsid -w "$build/fuzz/fuzz_$target" "${options[@]}" "$work" "$seeds" </dev/null >"$log" 2>&1 || rc=$?
  grep -aE '^stat::(number_of_executed_units|peak_rss_mb)|DONE' "$log" | sed 's/^/   /' || true
  if ((rc != 0)); then
    failed+=("$target")
    echo "FAIL fuzz_$target (exit $rc); the end of its log:"
    tail -n 60 "$log" | sed 's/^/   /'
    for input in "$artifacts"/*; do
      [[ -e $input ]] || continue
      echo "   replay: $build/fuzz/fuzz_$target $input"
    done
    echo "   Fix the bug with a unit test, then add the input to tests/fuzz/corpus/$target/ as found-<what>."
  else
    echo "ok   fuzz_$target"
  fi
done

if ((${#failed[@]})); then
  echo "fuzz.sh: ${#failed[@]} target(s) failed: ${failed[*]}"
  exit 1
fi
echo "fuzz.sh: every target ran ${seconds}s without a finding"
