#!/usr/bin/env bash
# Degraded mode (DESIGN.md, "Degraded modes"): inside a container whose
# seccomp profile forbids namespaces (modelled by probes/no-userns.c, which
# filters unshare/setns/clone(CLONE_NEW*) as Docker's default profile does),
# `airlock run` refuses, naming user namespaces and --best-effort; with
# --best-effort it runs, says what is not enforced, and Landlock, seccomp,
# capabilities, rlimits and the environment scrub still hold: each attack
# below must fail with no namespace to help. As root and as uid 65534.
source "$(dirname "$0")/lib.sh"

command -v cc >/dev/null || skip "no C compiler (cc) to build the probes"
PROBES="$SCRATCH/probes"
mkdir -p "$PROBES"
for probe in no-userns try-syscall; do
  cc -std=c11 -O2 -o "$PROBES/$probe" "$AIRLOCK_SRC/integration/probes/$probe.c" || { echo "FAIL cc $probe.c"; exit 1; }
done
chmod -R 755 "$PROBES"
NO_USERNS="$PROBES/no-userns"

landlock_abi=$("$AIRLOCK" doctor 2>/dev/null | sed -n 's/^ok   landlock: ABI \([0-9]*\).*/\1/p')
[[ -n $landlock_abi ]] || skip "Landlock is not available: no layer is left to test without namespaces"
(( landlock_abi >= 4 )) || skip "Landlock ABI $landlock_abi < 4: no TCP rules without a network namespace"
"$NO_USERNS" unshare -U true 2>/dev/null && { echo "FAIL no-userns does not stop unshare(CLONE_NEWUSER)"; exit 1; }

# Secrets in the caller's environment, as a CI job has them.
SECRET_ENV=(GITHUB_TOKEN=ghp_plantedGithubToken0123456789abcdefABCD
            AWS_SECRET_ACCESS_KEY=planted/aws/secret/key/0123456789abcdef
            NPM_TOKEN=npm_plantedNpmToken0123456789abcdefABCDEF)

# Files outside the project, next to it in the scratch dir: a secret, a
# read-only tree with a program in it, a writable tree, an exec tree.
# Sets OUTSIDE and PROFILE (the default profile plus exactly these trees).
make_outside() {
  local who=$1
  OUTSIDE="$SCRATCH/$who/outside"
  mkdir -p "$OUTSIDE/readable" "$OUTSIDE/writable" "$OUTSIDE/bin"
  echo "planted-outside-secret" > "$OUTSIDE/secret.txt"
  echo "readable-data" > "$OUTSIDE/readable/data.txt"
  install -m 755 /bin/true "$OUTSIDE/readable/prog"
  install -m 755 /bin/true "$OUTSIDE/bin/prog"
  install -m 755 /bin/sleep "$OUTSIDE/bin/sleeper"
  PROFILE="$SCRATCH/$who/degraded.toml"
  cat > "$PROFILE" <<EOF
[profile]
description = "default, plus the test's trees outside the project"
extends = ["default"]

[filesystem]
read = ["$OUTSIDE/readable"]
write = ["$OUTSIDE/writable"]
exec = ["$OUTSIDE/bin", "$PROBES"]

[limits]
nofile = 123
EOF
  [[ $who == root ]] || chown -R $NOBODY:$NOBODY "$OUTSIDE" "$PROFILE"
}

# degraded ARGS...: `airlock run ARGS...` as $who under no-userns, from the
# project, with secrets in the environment. Sets OUT, ERR, RC.
degraded() {
  local err_file="$SCRATCH/$who/stderr"
  OUT=$(cd "$PROJECT" && as_user "$who" env HOME="$FAKE_HOME" PATH=/usr/bin:/bin LANG=C.UTF-8 "${SECRET_ENV[@]}" \
        "$NO_USERNS" "$AIRLOCK" run "$@" 2>"$err_file")
  RC=$?
  ERR=$(cat "$err_file")
}
# in_sandbox SCRIPT: sh -c SCRIPT in the degraded sandbox (--best-effort).
in_sandbox() { degraded --best-effort --profile "$PROFILE" -- sh -c "$1"; }

check_refused_without_best_effort() {
  degraded -- true
  expect_eq "$who: no namespaces, no --best-effort: refused with 125" 125 "$RC"
  expect_contains "$who: the refusal names user namespaces" "$ERR" "user namespace"
  expect_contains "$who: the refusal names --best-effort" "$ERR" "--best-effort"
}

check_doctor_names_the_missing_layer() {
  local out rc
  out=$(cd "$PROJECT" && as_user "$who" env HOME="$FAKE_HOME" "$NO_USERNS" "$AIRLOCK" doctor 2>&1)
  rc=$?
  expect_eq "$who: doctor exits 125 without namespaces" 125 "$rc"
  expect_contains "$who: doctor: user namespaces missing" "$out" "MISS user namespaces"
  expect_contains "$who: doctor: namespaces layer not enforced" "$out" "NOT ENFORCED namespaces"
  expect_contains "$who: doctor: Landlock still enforced" "$out" "enforced     landlock"
  expect_contains "$who: doctor: seccomp still enforced" "$out" "enforced     seccomp"
}

check_best_effort_runs_and_warns() {
  in_sandbox 'exit 3'
  expect_eq "$who: --best-effort runs, the command's own status" 3 "$RC"
  expect_contains "$who: warns namespaces are not enforced" "$ERR" "best effort: NOT enforced: namespaces"
  expect_contains "$who: warns the network is only narrowed by Landlock" "$ERR" "NOT enforced: network"
}

# A build step reading what it was not given: files next to the project and
# the user's SSH key. Only Landlock stands in the way here.
attack_read_outside() {
  in_sandbox "cat '$OUTSIDE/secret.txt'"
  expect_contains "$who: read outside filesystem.read: EACCES" "$ERR" "$OUTSIDE/secret.txt: Permission denied"
  expect_not_contains "$who: the outside secret did not leak" "$OUT" "planted-outside-secret"
  in_sandbox "cat '$FAKE_HOME/.ssh/id_rsa'"
  expect_contains "$who: read ~/.ssh/id_rsa: EACCES" "$ERR" ".ssh/id_rsa: Permission denied"
  expect_not_contains "$who: the SSH key did not leak" "$OUT" "planted-ssh-key"
  in_sandbox "cat '$OUTSIDE/readable/data.txt'"
  expect_eq "$who: control: a path in filesystem.read is readable" "readable-data" "$OUT"
}

# A secret that `hide` names inside a tree that `read` or `write` allows:
# without a mount namespace nothing hides it, and Landlock cannot deny a
# path beneath an allowed directory, so airlock grants such a directory
# entry by entry, leaving the secret out. /etc/shadow (root can read it even
# with no capability: it owns it), and the user's home used as the project.
attack_hidden_inside_allowed_tree() {
  if [[ $who == root ]]; then
    head -c1 /etc/shadow >/dev/null; expect_eq "$who: control: /etc/shadow is readable outside" 0 $?
    in_sandbox 'cat /etc/shadow; head -1 /etc/passwd'
    expect_contains "$who: /etc/shadow inside the allowed /etc: EACCES" "$ERR" "/etc/shadow: Permission denied"
    expect_eq "$who: control: the rest of /etc is readable" "root:x:0:0:root:/root:/bin/bash" "$OUT"
  fi
  echo "notes" > "$FAKE_HOME/notes.txt"
  mkdir -p "$FAKE_HOME/work"
  [[ $who == root ]] || chown -R $NOBODY:$NOBODY "$FAKE_HOME/notes.txt" "$FAKE_HOME/work"
  OUT=$(cd "$FAKE_HOME" && as_user "$who" env HOME="$FAKE_HOME" PATH=/usr/bin:/bin "$NO_USERNS" "$AIRLOCK" run \
        --best-effort --project "$FAKE_HOME" -- sh -c 'cat .ssh/id_rsa .npmrc .aws/credentials
          echo planted >> .ssh/authorized_keys; echo planted > .npmrc; cat notes.txt; echo built > work/out' 2>&1)
  expect_not_contains "$who: project = home: the SSH key did not leak" "$OUT" "planted-ssh-key"
  expect_not_contains "$who: project = home: ~/.npmrc did not leak" "$OUT" "planted-npmrc-token"
  expect_not_contains "$who: project = home: ~/.aws did not leak" "$OUT" "planted-aws-secret"
  [[ ! -e $FAKE_HOME/.ssh/authorized_keys ]]; expect_eq "$who: project = home: no authorized_keys planted" 0 $?
  expect_eq "$who: project = home: ~/.npmrc unchanged" "//registry/:_authToken=planted-npmrc-token" \
    "$(cat "$FAKE_HOME/.npmrc")"
  expect_contains "$who: control: project = home: other files are readable" "$OUT" "notes"
  expect_eq "$who: control: project = home: subdirectories are writable" built "$(cat "$FAKE_HOME/work/out" 2>/dev/null)"
}

# Writing outside `write`: planting a file (a hook, a dotfile) for later.
attack_write_outside() {
  in_sandbox "echo planted > '$OUTSIDE/readable/planted'"
  expect_contains "$who: write outside filesystem.write: EACCES" "$ERR" "readable/planted: Permission denied"
  [[ ! -e $OUTSIDE/readable/planted ]]; expect_eq "$who: nothing was planted" 0 $?
  in_sandbox "echo planted > '$FAKE_HOME/.bashrc'"
  expect_contains "$who: write to ~/.bashrc: EACCES" "$ERR" ".bashrc: Permission denied"
  in_sandbox "echo fine > '$OUTSIDE/writable/out' && cat '$OUTSIDE/writable/out'"
  expect_eq "$who: control: a path in filesystem.write is writable" "fine" "$OUT"
}

# Running a program from a tree that is readable but not in `exec` (a
# downloaded binary); the command itself is always granted, so it is run
# from a shell as a build script would.
attack_exec_outside() {
  in_sandbox "'$OUTSIDE/readable/prog'"
  expect_eq "$who: exec outside filesystem.exec: 126" 126 "$RC"
  expect_contains "$who: exec outside filesystem.exec: EACCES" "$ERR" "readable/prog: Permission denied"
  in_sandbox "'$OUTSIDE/bin/prog' && echo ran"
  expect_eq "$who: control: a program in filesystem.exec runs" "ran" "$OUT"
}

# Exfiltration over TCP to a service on the host's loopback (a database, a
# metadata proxy): with no network namespace only Landlock's TCP connect
# rules (ABI >= 4) refuse it.
attack_tcp_to_host_loopback() {
  local port_file="$SCRATCH/$who/port" port
  perl -MIO::Socket::INET -e '$| = 1;
    my $s = IO::Socket::INET->new(LocalAddr => "127.0.0.1", LocalPort => 0, Listen => 5, ReuseAddr => 1) or die $!;
    print $s->sockport, "\n"; alarm 30;
    while (my $c = $s->accept) { print $c "hello\n"; close $c }' > "$port_file" &
  local listener=$!
  for _ in $(seq 50); do [[ -s $port_file ]] && break; sleep 0.1; done
  port=$(cat "$port_file")
  local connect="exec 3<>/dev/tcp/127.0.0.1/$port && head -1 <&3"
  expect_eq "$who: control: the listener answers outside the sandbox" "hello" \
    "$(as_user "$who" bash -c "$connect" 2>&1)"
  degraded --best-effort --profile "$PROFILE" -- bash -c "$connect"
  expect_contains "$who: TCP connect to the host's loopback: EACCES" "$ERR" "connect: Permission denied"
  expect_not_contains "$who: nothing came back over TCP" "$OUT" "hello"
  kill "$listener" 2>/dev/null; wait "$listener" 2>/dev/null
}

# Tokens in the environment (CI secrets) read by an install script.
attack_env_secrets() {
  in_sandbox 'env'
  for secret in GITHUB_TOKEN AWS_SECRET_ACCESS_KEY NPM_TOKEN planted; do
    expect_not_contains "$who: $secret is scrubbed from the environment" "$OUT" "$secret"
  done
  expect_contains "$who: control: LANG is kept" "$OUT" "LANG=C.UTF-8"
}

# Without a pid namespace other processes of the user are visible: airlock's
# own supervisor and init still hold the caller's environment, so they make
# themselves non-dumpable (their /proc/<pid>/environ is then root's, 0400,
# and needs CAP_SYS_PTRACE, which the payload no longer has).
attack_environ_of_airlock() {
  in_sandbox 'sup=$(sed -n "s/^PPid:[[:space:]]*//p" /proc/$PPID/status)
              cat /proc/$PPID/environ; cat /proc/$sup/environ; echo "init=$PPID supervisor=$sup"'
  expect_not_contains "$who: init's environment is not readable" "$OUT" "ghp_planted"
  expect_contains "$who: reading airlock's /proc/<pid>/environ: EACCES" "$ERR" "environ: Permission denied"
  [[ $(grep -c "environ: Permission denied" <<<"$ERR") == 2 ]]
  expect_eq "$who: both init's and the supervisor's environ refused" 0 $?
}

# The seccomp layer still refuses what @default-deny names, and kills
# foreign-ABI calls, with no namespace around it. The control is the same
# probe under no-userns without airlock.
attack_syscalls() {
  # (unshare and clone(CLONE_NEWUSER) are left out: no-userns refuses them itself.)
  local names=(ptrace ptrace-sibling bpf io_uring_setup mount keyctl perf_event_open userfaultfd i386 x32)
  local control
  control=$(cd "$PROJECT" && as_user "$who" "$NO_USERNS" "$PROBES/try-syscall" "${names[@]}")
  degraded --best-effort --profile "$PROFILE" -- "$PROBES/try-syscall" "${names[@]}"
  expect_eq "$who: try-syscall ran" 0 "$RC"
  for name in "${names[@]}"; do
    # Without i386 emulation `int 0x80` faults before seccomp sees it.
    [[ $name == i386 && $(probe_result "$control" i386) != ok ]] && continue
    case $name in
      i386|x32) expected=signal=SIGSYS ;;
      *) expected=errno=EPERM ;;
    esac
    expect_probe "$who: seccomp without namespaces" "$control" "$OUT" "$name" "$expected"
  done
}

check_capabilities_dropped() {
  in_sandbox 'grep ^Cap /proc/self/status'
  expect_contains "$who: no effective capability" "$OUT" "CapEff:	0000000000000000"
  expect_contains "$who: no permitted capability" "$OUT" "CapPrm:	0000000000000000"
  expect_contains "$who: no ambient capability" "$OUT" "CapAmb:	0000000000000000"
  # Only a process with CAP_SETPCAP can empty the bounding set (root here).
  [[ $who == root ]] && expect_contains "$who: empty bounding set" "$OUT" "CapBnd:	0000000000000000"
}

check_rlimits_applied() {
  [[ $(as_user "$who" sh -c 'ulimit -n') != 123 ]]; expect_eq "$who: control: nofile is not 123 outside" 0 $?
  in_sandbox 'ulimit -n; ulimit -c'
  expect_eq "$who: [limits] nofile = 123 and core = 0 apply" "123
0" "$OUT"
}

# What the sandbox is for: the build that works unsandboxed still works.
check_build_still_works() {
  (cd "$PROJECT" && as_user "$who" cc -o "$SCRATCH/$who/main-unsandboxed" src/main.c)
  expect_eq "$who: control: the build works unsandboxed" 0 $?
  in_sandbox 'cc -o main src/main.c && ./main && echo built'
  expect_eq "$who: the build works in the degraded sandbox" "built" "$OUT"
  [[ -x $PROJECT/main ]]; expect_eq "$who: the build's output is in the project" 0 $?
}

# A payload that leaves a daemon behind (in its own session): it is killed
# with the run, and the command's own status is still what airlock returns.
# Without a pid namespace init cannot kill(-1); it kills its descendants.
check_leftovers_killed() {
  in_sandbox "'$OUTSIDE/bin/sleeper' 300 & setsid '$OUTSIDE/bin/sleeper' 301 & exit 4"
  expect_eq "$who: the command's status with leftovers" 4 "$RC"
  sleep 0.2
  pgrep -f "$OUTSIDE/bin/sleeper" >/dev/null
  expect_eq "$who: no leftover process survives the run" 1 $?
  degraded --best-effort --profile "$PROFILE" --timeout 300ms -- "$OUTSIDE/bin/sleeper" 30
  expect_eq "$who: timeout without namespaces is 124" 124 "$RC"
  pgrep -f "$OUTSIDE/bin/sleeper" >/dev/null
  expect_eq "$who: nothing survives the timeout" 1 $?
}

for who in root nobody; do
  make_fixture "$who"
  make_outside "$who"
  check_refused_without_best_effort
  check_doctor_names_the_missing_layer
  check_best_effort_runs_and_warns
  attack_read_outside
  attack_hidden_inside_allowed_tree
  attack_write_outside
  attack_exec_outside
  attack_tcp_to_host_loopback
  attack_env_secrets
  attack_environ_of_airlock
  attack_syscalls
  check_capabilities_dropped
  check_rlimits_applied
  check_build_still_works
  check_leftovers_killed
done
finish
