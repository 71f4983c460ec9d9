#!/usr/bin/env bash
# What the caller ignores stays ignored: under nohup (SIGHUP ignored) the
# payload inherits the ignored SIGHUP and a SIGHUP to airlock is not relayed,
# as without airlock. And a setuid copy is refused even when root runs it.
source "$(dirname "$0")/lib.sh"

for who in root nobody; do
  make_fixture "$who"
  out=$(cd "$PROJECT" && as_user "$who" nohup "$AIRLOCK" -q run -- grep SigIgn /proc/self/status 2>&1)
  expect_eq "$who: under nohup the payload still ignores SIGHUP" "SigIgn:	0000000000000001" "$out"
  out=$(cd "$PROJECT" && as_user "$who" env --default-signal "$AIRLOCK" -q run -- grep SigIgn /proc/self/status 2>&1)
  expect_eq "$who: otherwise nothing is ignored" "SigIgn:	0000000000000000" "$out"
  (cd "$PROJECT" && as_user "$who" nohup "$AIRLOCK" -q run -- sh -c 'sleep 1; echo survived' >"$SCRATCH/$who.out" 2>&1) &
  runner=$!
  sleep 0.4
  pkill -HUP -o -f "^$AIRLOCK -q run -- sh -c sleep 1"
  wait $runner
  expect_eq "$who: a nohup'd run survives a SIGHUP" "survived" "$(cat "$SCRATCH/$who.out")"
done

if [[ $(id -u) -eq 0 ]]; then
  cp "$AIRLOCK" "$SCRATCH/airlock-suid"
  chmod 4755 "$SCRATCH/airlock-suid"
  out=$("$SCRATCH/airlock-suid" run -- true 2>&1)
  expect_eq "root running a setuid-root copy: refused (125)" 125 $?
  expect_contains "root running a setuid-root copy: says why" "$out" "must not be setuid"
fi
finish
