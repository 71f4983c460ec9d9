#!/usr/bin/env bash
# Benchmark (not a test): the cost of audit mode on a file-heavy build.
#
# A generated C project (FILES sources, each including HEADERS project
# headers and a few system headers, so that every compiler run opens a few
# hundred files) is built with `make -jJOBS` four ways, each after a
# `make clean`, best of ROUNDS:
#   bare     the build alone
#   run      airlock run (default profile)
#   audit    airlock audit (default profile as base)
#   strace   strace -f on the same build (for comparison: ptrace-based tracing)
# and the ratios to `bare` are printed. The goal for audit is <= 1.5x.
#
# usage: bench_audit.sh [AIRLOCK_BINARY]   (env: FILES=400 HEADERS=30 JOBS=2 ROUNDS=3)
set -euo pipefail

AIRLOCK=$(realpath "${1:-$(dirname "$0")/../../build/airlock}")
FILES=${FILES:-400}
HEADERS=${HEADERS:-30}
JOBS=${JOBS:-2}
ROUNDS=${ROUNDS:-3}

if ! command -v strace >/dev/null; then
  apt-get install -y strace >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y strace >/dev/null; }
fi

WORK=$(mktemp -d /var/tmp/airlock-bench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
PROJECT="$WORK/project"
mkdir -p "$PROJECT/src" "$PROJECT/include"
for ((h = 0; h < HEADERS; h++)); do
  printf '#pragma once\n#include <stdio.h>\n#include <string.h>\n#include <stdlib.h>\nstatic inline int h%d(int x) { return x + %d; }\n' \
    "$h" "$h" > "$PROJECT/include/h$h.h"
done
for ((f = 0; f < FILES; f++)); do
  {
    for ((h = 0; h < HEADERS; h++)); do echo "#include \"h$h.h\""; done
    echo "int f$f(int x) { return h0(x) + $f; }"
  } > "$PROJECT/src/f$f.c"
done
echo 'int main(void) { return 0; }' > "$PROJECT/src/main.c"
cat > "$PROJECT/Makefile" <<'MK'
SRCS := $(wildcard src/*.c)
OBJS := $(SRCS:src/%.c=build/%.o)
build/app: $(OBJS)
	$(CC) -o $@ $^
build/%.o: src/%.c | build
	$(CC) -O0 -Iinclude -c -o $@ $<
build:
	mkdir -p build
clean:
	rm -rf build
MK

cd "$PROJECT"
# "wall cpu" seconds of one clean build (cpu: user+system of everything, the supervisor included).
measure() {
  make clean >/dev/null
  /usr/bin/time -f '%e %U %S' -o "$WORK/time" "$@" >/dev/null 2>&1 || { echo "failed: $*" >&2; exit 1; }
  awk '{printf "%.2f %.2f\n", $1, $2 + $3}' "$WORK/time"
}

opens=$(strace -f -qq -c -e trace=open,openat,openat2 make -j"$JOBS" 2>&1 >/dev/null | awk '$NF == "total" {print $4}')
echo "build: $FILES sources x $HEADERS headers, make -j$JOBS, best of $ROUNDS (modes interleaved); $opens opens per build"
declare -A wall cpu
modes=(bare run audit strace)
for ((r = 0; r < ROUNDS; r++)); do
  for mode in "${modes[@]}"; do
    case $mode in
      bare) read -r w c < <(measure make -j"$JOBS") ;;
      run) read -r w c < <(measure "$AIRLOCK" -q run -- make -j"$JOBS") ;;
      audit) read -r w c < <(measure "$AIRLOCK" -q audit -o "$WORK/generated.toml" --report "$WORK/report.json" -- make -j"$JOBS") ;;
      strace) read -r w c < <(measure strace -f -qq -o /dev/null make -j"$JOBS") ;;
    esac
    if [[ -z ${wall[$mode]:-} ]] || (($(echo "$w < ${wall[$mode]}" | bc))); then wall[$mode]=$w; fi
    if [[ -z ${cpu[$mode]:-} ]] || (($(echo "$c < ${cpu[$mode]}" | bc))); then cpu[$mode]=$c; fi
  done
done
notifications=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["audit"]["observed"]["notifications"])' "$WORK/report.json")
printf '%-8s %8s %8s %8s %8s\n' mode wall "x bare" cpu "x bare"
for mode in "${modes[@]}"; do
  printf '%-8s %8.2f %8.2f %8.2f %8.2f\n' "$mode" "${wall[$mode]}" "$(echo "${wall[$mode]} / ${wall[bare]}" | bc -l)" \
    "${cpu[$mode]}" "$(echo "${cpu[$mode]} / ${cpu[bare]}" | bc -l)"
done
echo "audit: $notifications notifications served per build; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
