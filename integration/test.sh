#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine: installs what it
# needs, builds with warnings as errors, and runs every unit and integration
# test (as root and, where the tests say so, as uid 65534).
set -euo pipefail
cd "$(dirname "$0")/.."
bash packaging/deps.sh
build=${AIRLOCK_BUILD_DIR:-build}
cmake -S . -B "$build" -DAIRLOCK_WERROR=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j"$(nproc)"
cd "$build"
ctest --output-on-failure --timeout 600 -j1 "$@"
