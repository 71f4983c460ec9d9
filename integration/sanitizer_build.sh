# The one sanitizer build, shared by integration/sanitize.sh (the ctest
# suite) and integration/fuzz.sh (the libFuzzer targets); sourced by both
# after they set `root` to the checkout. clang-14 with AddressSanitizer
# (LeakSanitizer included) and UndefinedBehaviorSanitizer for everything
# built: library, airlock, tests; with AIRLOCK_FUZZ=ON the same library,
# also compiled with libFuzzer's coverage (tests/fuzz/fuzz.cmake), links
# the fuzz targets, so one compilation serves both.
#
# -O1 (what the ASan manual advises) and line tables only: reports name
# file:line, and the build is about half the ordinary RelWithDebInfo's
# compile and link time.
SANITIZE_BUILD_DIR=${SANITIZE_BUILD_DIR:-$root/build-asan}

configure_sanitizer_build() {
  bash "$root/packaging/deps.sh" --fuzz
  cmake -S "$root" -B "$SANITIZE_BUILD_DIR" -DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14 \
    -DAIRLOCK_SANITIZE=address,undefined -DAIRLOCK_FUZZ=ON -DAIRLOCK_WERROR=ON \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only -DNDEBUG" \
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only -DNDEBUG" >/dev/null
}

# abort_on_error: a report ends the process with SIGABRT, which no test
# mistakes for an ordinary exit status. halt_on_error: UBSan stops at the
# first finding instead of printing and going on (the build recovers, so
# the option decides). detect_leaks: LeakSanitizer at every exit(3) of an
# instrumented process (the supervisor, airlock's other commands, the unit
# tests; the sandbox's init and payload end with _exit or execve).
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
