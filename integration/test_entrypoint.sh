#!/usr/bin/env bash
# airlock as a container's entrypoint: PID 1 of a fresh pid namespace, run
# as root (`unshare --pid --fork --mount-proc`, as a container engine would
# start it), with user namespaces available and with them forbidden by a
# seccomp filter installed first (as Docker's default profile does). It must
# drop to process.user with no capabilities, reap zombies, relay the
# engine's SIGTERM and exit with the worker's status within the grace period.
source "$(dirname "$0")/lib.sh"
[[ $(id -u) -eq 0 ]] || skip "needs root: a container entrypoint starts as root"
command -v unshare >/dev/null || skip "no unshare(1)"
command -v cc >/dev/null || skip "no C compiler (cc) to build the probes"
cc -std=c11 -O2 -o "$SCRATCH/no-userns" "$AIRLOCK_SRC/integration/probes/no-userns.c" || { echo "FAIL cc"; exit 1; }

APP="$SCRATCH/app"
mkdir -p "$APP/data"
chown -R $NOBODY:$NOBODY "$APP/data"
cat > "$APP/worker.sh" <<'W'
#!/bin/sh
# A worker that leaves orphans behind (they become zombies unless reaped),
# reports who it is, and shuts down cleanly on SIGTERM.
trap 'echo "worker: SIGTERM" > data/stopped; exit 0' TERM
id -u > data/uid
grep -E '^Cap(Eff|Prm|Bnd)' /proc/self/status > data/caps
for i in 1 2 3 4 5; do sh -c 'sleep 0.05 &' ; done
while :; do sleep 0.2; done
W
chmod 755 "$APP/worker.sh"
# The profile lives outside the app's directory (${project}, which the worker
# could write), as an image puts it in /etc/airlock/profiles/.
PROFILE="$SCRATCH/profiles/worker.toml"
mkdir -p "$SCRATCH/profiles"
cat > "$PROFILE" <<'P'
[profile]
extends = ["node-service"]
[process]
user = "nobody"
grace = "3s"
P

# start_entrypoint WRAPPER...: airlock as PID 1 of a new pid namespace (the
# wrapper, if any, runs inside it first and execs airlock: still PID 1).
start_entrypoint() {
  (cd "$APP" && exec unshare --pid --fork --mount-proc "$@" "$AIRLOCK" run --profile "$PROFILE" -- ./worker.sh) &
  ENTRY=$!
  for _ in $(seq 50); do [[ -s "$APP/data/uid" ]] && break; sleep 0.1; done
}

zombies_in_namespace() {  # zombies among the descendants of airlock-as-PID-1
  local pid1 ns
  pid1=$(pgrep -f "^$AIRLOCK run --profile $PROFILE" -o)
  ns=$(readlink "/proc/$pid1/ns/pid")
  for p in /proc/[0-9]*; do
    [[ $(readlink "$p/ns/pid" 2>/dev/null) == "$ns" ]] && grep -q '^State:.*Z' "$p/status" 2>/dev/null && echo "${p#/proc/}"
  done | wc -l
}

check_entrypoint() {
  local label=$1; shift
  rm -f "$APP/data/"*
  start_entrypoint "$@"
  expect_eq "$label: the worker runs as process.user" "$NOBODY" "$(cat "$APP/data/uid" 2>/dev/null)"
  expect_eq "$label: with no capabilities" "CapPrm:	0000000000000000|CapEff:	0000000000000000|CapBnd:	0000000000000000" \
    "$(grep -E '^Cap(Prm|Eff|Bnd)' "$APP/data/caps" | sort -r | paste -sd'|')"
  sleep 0.6
  expect_eq "$label: orphaned children are reaped (no zombies)" 0 "$(zombies_in_namespace)"
  local pid1 start
  pid1=$(pgrep -f "^$AIRLOCK run --profile $PROFILE" -o)
  start=$(date +%s%N)
  kill -TERM "$pid1"   # what `docker stop` sends to PID 1
  wait "$ENTRY"
  local status=$? took=$((($(date +%s%N) - start) / 1000000))
  expect_eq "$label: SIGTERM reaches the worker" "worker: SIGTERM" "$(cat "$APP/data/stopped" 2>/dev/null)"
  expect_eq "$label: exit status is the worker's" 0 "$status"
  if ((took < 3000)); then pass "$label: stopped within the grace period (${took} ms)"; else fail "$label: took ${took} ms"; fi
}

check_entrypoint "user namespaces available" env
# Docker's default seccomp profile forbids namespaces: refused unless the
# profile accepts best effort, then everything else still applies.
out=$(cd "$APP" && unshare --pid --fork --mount-proc "$SCRATCH/no-userns" "$AIRLOCK" run --profile "$PROFILE" -- ./worker.sh 2>&1)
expect_eq "no user namespaces: refused without best effort" 125 $?
expect_contains "no user namespaces: names the missing feature" "$out" "user namespace"
# Root of a container whose user namespace has only a slice of ids (rootless
# engines, hostUsers: false): here `unshare -U -r`, where root is the only id.
out=$(cd "$APP" && unshare -U -r "$AIRLOCK" run -- sh -c 'id -u; cat /proc/self/uid_map' 2>&1)
expect_eq "root with a one-id user namespace: runs" 0 $?
expect_eq "root with a one-id user namespace: maps only what it has" "0|0 0 1" "$(echo "$out" | tr -s ' ' | sed 's/^ //' | paste -sd'|')"
printf '[enforcement]\nbest_effort = true\n' >> "$PROFILE"
check_entrypoint "no user namespaces, best effort" "$SCRATCH/no-userns"
finish
