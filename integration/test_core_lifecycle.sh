#!/usr/bin/env bash
# Sandbox core, process lifecycle: what runs inside ends with the run (no
# daemon survives, not even when the supervisor is SIGKILLed), the timeout
# escalates from SIGTERM to SIGKILL, signals reach the command, PID 1 reaps
# zombies, the exit status follows DESIGN.md, and a terminal stays a
# terminal. As root and as uid 65534.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/core_lib.sh"

now() { date +%s.%N; }
# elapsed START: seconds since START, with two decimals.
elapsed() { echo "$(now) $1" | awk '{printf "%.2f", $1 - $2}'; }
# between LOW HIGH VALUE: LOW <= VALUE < HIGH
between() { awk -v lo="$1" -v hi="$2" -v v="$3" 'BEGIN { exit !(v >= lo && v < hi) }'; }

# Models: an install script that leaves a daemon behind (a miner, a
# backdoor), detached every usual way: setsid, nohup, double fork. They run
# while the command runs; after airlock exits (promptly, not waiting for
# them) none exists on the host.
attack_daemon() {
  local who=$1
  local m="1234.$$${#who}" out start took
  start=$(now)
  # (--timeout: a run that waited for its daemons ends with 124 instead of hanging.)
  out=$(sandbox "$who" --timeout 30s -- sh -c '
    setsid sleep "${1}1" </dev/null >/dev/null 2>&1 &
    nohup sleep "${1}2" </dev/null >/dev/null 2>&1 &
    (sleep "${1}3" </dev/null >/dev/null 2>&1 &)
    sleep 0.3
    echo "daemons inside: $(ps -eo args= | grep -c "^sleep $1")"
    cat src/main.c' probe "$m" 2>&1)
  took=$(elapsed "$start")
  expect_contains "$who: the three daemons ran inside" "$out" "daemons inside: 3"
  expect_contains "$who: the command's work was done" "$out" "int main(void)"
  between 0 10 "$took" && pass "$who: airlock did not wait for the daemons" || fail "$who: airlock took ${took}s"
  local n
  for n in 1 2 3; do
    no_marker "${m}$n" && pass "$who: daemon $n is gone when airlock returns" ||
      fail "$who: daemon $n (sleep ${m}$n) survived: $(marker_pids "${m}$n" | tr '\n' ' ')"
  done
}

# Models: the supervisor dies hard (OOM killer, kill -9 of the CI job) while
# the sandbox runs children. Nothing of the sandbox may survive it, and no
# mount or temporary directory may stay behind.
attack_kill_supervisor() {
  local who=$1
  local m="4242.$$${#who}" before status
  before=$(host_leftovers)
  rm -f "$PROJECT/ready.kill"
  sandbox_bg "$who" "$SCRATCH/$who/kill.out" -- sh -c '
    sleep "$1" & sleep "$1" & echo ready >ready.kill; wait' probe "$m"
  if ! wait_until 10 test -e "$PROJECT/ready.kill" || ! wait_until 5 marker_count_is "$m" 2; then
    fail "$who: the sandbox's children did not start: $(cat "$SCRATCH/$who/kill.out")"
    kill -KILL "$BG_PID"
    return
  fi
  expect_match "$who: BG_PID is airlock" "$(tr '\0' ' ' </proc/"$BG_PID"/cmdline)" "^$AIRLOCK -q run"
  kill -KILL "$BG_PID"
  { wait "$BG_PID"; } 2>/dev/null  # bash's "Killed" job notice
  status=$?
  expect_eq "$who: the supervisor was SIGKILLed" 137 "$status"
  wait_until 5 no_marker "$m" && pass "$who: no child of the sandbox survives" ||
    fail "$who: survivors: $(marker_pids "$m" | tr '\n' ' ')"
  expect_nothing_left "$who: no mount, process or temporary directory left" "$before"
}

# Models: a hung or hostile command that ignores SIGTERM. The timeout sends
# SIGTERM, then SIGKILL after process.grace; airlock exits 124. A command that
# handles SIGTERM sees it first; one that obeys it ends without the grace.
check_timeout() {
  # A profile of the operator's, outside the project a step can write.
  local who=$1 profile="$SCRATCH/$who/profiles/timeout.toml" start took out status
  mkdir -p "${profile%/*}" && chmod 755 "${profile%/*}"
  printf '[profile]\nextends = ["default"]\n\n[process]\ntimeout = "500ms"\ngrace = "1s"\n' >"$profile"
  chmod 644 "$profile"

  start=$(now)
  sandbox "$who" --profile "$profile" -- sh -c "trap '' TERM; sleep 30.$$" 2>/dev/null
  status=$? took=$(elapsed "$start")
  expect_eq "$who: a command ignoring SIGTERM times out with 124" 124 "$status"
  between 1.4 6 "$took" && pass "$who: ... killed after timeout + grace (${took}s)" ||
    fail "$who: ... took ${took}s, expected about 1.5s"
  no_marker "30.$$" && pass "$who: ... and nothing of it survives" || fail "$who: sleep 30.$$ survived"

  start=$(now)
  out=$(sandbox "$who" --profile "$profile" -- sh -c "trap 'echo got TERM' TERM; while :; do sleep 0.1; done" 2>/dev/null)
  status=$? took=$(elapsed "$start")
  expect_eq "$who: SIGTERM reached the command first" "got TERM" "$out"
  expect_eq "$who: ... which was then killed: 124" 124 "$status"
  between 1.4 6 "$took" && pass "$who: ... after the grace period (${took}s)" || fail "$who: ... took ${took}s"

  start=$(now)
  sandbox "$who" --timeout 500ms -- sleep 30 2>/dev/null
  status=$? took=$(elapsed "$start")
  expect_eq "$who: a command obeying SIGTERM times out with 124" 124 "$status"
  between 0.4 3 "$took" && pass "$who: ... without waiting for the 10s grace (${took}s)" || fail "$who: ... took ${took}s"
}

# Models: Ctrl-C, a CI runner cancelling the job, a service reload. A signal
# sent to airlock reaches the command, and airlock exits with the command's
# status: the status its handler chose, or 128+N when the signal killed it.
# (--timeout: should a signal get lost, the run ends with 124 instead of hanging.)
check_signal_relay() {
  local who=$1 sig code out status
  for sig in INT:11 TERM:12 USR1:3 HUP:14 TERM:143 HUP:129 USR1:138 QUIT:131; do
    code=${sig#*:} sig=${sig%:*}
    rm -f "$PROJECT/ready.sig"
    if ((code < 128)); then
      sandbox_bg "$who" "$SCRATCH/$who/sig.out" --timeout 10s -- sh -c "
        trap 'echo got $sig; exit $code' $sig; echo ready >ready.sig; while :; do sleep 0.1; done"
    else
      sandbox_bg "$who" "$SCRATCH/$who/sig.out" --timeout 10s -- sh -c "echo ready >ready.sig; exec sleep 30.$$"
    fi
    if ! wait_until 10 test -e "$PROJECT/ready.sig"; then
      fail "$who: SIG$sig: the command did not start: $(cat "$SCRATCH/$who/sig.out")"
      kill -KILL "$BG_PID"
      continue
    fi
    kill -"$sig" "$BG_PID"
    wait "$BG_PID"
    status=$?
    out=$(cat "$SCRATCH/$who/sig.out")
    if ((code < 128)); then
      # The shell may first report its foreground sleep killed by the same signal.
      expect_eq "$who: SIG$sig reaches the command's handler" "got $sig" "$(tail -n1 <<<"$out")"
      expect_eq "$who: SIG$sig: airlock exits with the handler's status" "$code" "$status"
    else
      expect_eq "$who: SIG$sig kills the command: airlock exits 128+N" "$code" "$status"
    fi
  done
}

# Models: a build tool that leaves orphans behind (make -j, shells, npm), so
# that zombies pile up under PID 1. A control shows that the probe sees a
# zombie whose parent does not wait; once orphaned to init, none remain.
check_zombie_reaping() {
  local who=$1 out
  out=$(sandbox "$who" -- sh -c '
    zombies() { cat /proc/[0-9]*/stat 2>/dev/null | sed "s/.*) //" | awk "\$1 == \"Z\" { print \"Z parent \" \$2 }"; }
    ( sh -c "sleep 0.2 & exec sleep 0.9" & )
    for i in 1 2 3 4 5; do (sleep 0.1 &); done
    sleep 0.5; echo "at 0.5s:"; zombies
    sleep 1.5; echo "at 2s:"; zombies
    cat src/main.c' 2>&1)
  expect_match "$who: control: a zombie under a parent that does not wait" "$out" "at 0.5s:"$'\n'"Z parent [0-9]+"$'\n'"at 2s:"
  expect_not_contains "$who: ... it is not init's" "$out" "Z parent 1"$'\n'
  expect_match "$who: no zombie remains once orphaned to init" "$out" "at 2s:"$'\n'"int main"
}

# DESIGN.md's exit statuses beyond test_exit_codes.sh: 128+N for a command
# killed by signal N, recorded in the run report, and a run whose command
# exits while a child still runs is the command's status, at once.
check_exit_status() {
  local who=$1
  local report="$SCRATCH/$who/status.json" status
  sandbox "$who" --report "$report" -- sh -c 'kill -USR1 $$' 2>/dev/null
  expect_eq "$who: killed by SIGUSR1 is 138" 138 $?
  expect_match "$who: the report says signal 10" "$(cat "$report" 2>/dev/null)" '"signal": 10'
  sandbox "$who" -- sh -c 'kill -KILL $$' 2>/dev/null
  expect_eq "$who: killed by SIGKILL is 137" 137 $?
  sandbox "$who" -- sh -c "sleep 31.$$ & exit 5" 2>/dev/null
  expect_eq "$who: the command's status though a child still ran" 5 $?
  no_marker "31.$$" && pass "$who: ... and the child is gone" || fail "$who: sleep 31.$$ survived"
}

# Legitimate: an interactive command under script(1) has a terminal on its
# stdio inside; tty(1) names it. It is not the sandbox's controlling
# terminal (init's own session), so /dev/tty cannot be opened.
check_tty() {
  local who=$1
  local helper="$SCRATCH/$who/tty.sh" out
  run_env
  cat >"$helper" <<EOF
#!/bin/sh
cd "$PROJECT" && exec env ${RUN_ENV[*]} "$AIRLOCK" -q run -- sh -c '
  tty; echo "tty status: \$?"
  test -t 0 && echo stdin-tty; test -t 1 && echo stdout-tty; test -t 2 && echo stderr-tty
  exec 3</dev/tty'
EOF
  chmod 755 "$helper"
  out=$(as_user "$who" script -qec "$helper" /dev/null </dev/null | tr -d '\r')
  expect_match "$who: tty names the terminal" "$out" "^/dev/[^"$'\n'"]+"$'\n'"tty status: 0"
  expect_contains "$who: stdin is a terminal" "$out" "stdin-tty"
  expect_contains "$who: stdout is a terminal" "$out" "stdout-tty"
  expect_contains "$who: stderr is a terminal" "$out" "stderr-tty"
  expect_contains "$who: no controlling terminal" "$out" "/dev/tty: No such device or address"
}

require_full_sandbox
require_commands ps setsid nohup script
for who in root nobody; do
  make_fixture "$who"
  before=$(host_leftovers)
  attack_daemon "$who"
  attack_kill_supervisor "$who"
  check_timeout "$who"
  check_signal_relay "$who"
  check_zombie_reaping "$who"
  check_exit_status "$who"
  check_tty "$who"
  expect_nothing_left "$who: nothing left behind" "$before"
done
finish
