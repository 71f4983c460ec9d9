#!/usr/bin/env bash
# ctest-labels: sanitize
# Faults, as root and as uid 65534: a payload that exhausts what it is
# given (processes, the private /tmp, descriptors) ends by the profile's
# limits and leaves the host as it was; the supervisor SIGKILLed mid-run
# leaves no process, mount or namespace of the sandbox behind; and every
# malformed profile of tests/fixtures/bad/ is refused by `airlock run` with
# exit 125 and the file:line:column its first line names. The gateway under
# load is test_faults_gateway.sh.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/core_lib.sh"

# profile WHO NAME TEXT: a profile file extending default, readable by WHO.
profile() {
  local file="$SCRATCH/$1/$2.toml"
  printf '[profile]\nextends = ["default"]\n\n%s\n' "$3" >"$file"
  chmod 644 "$file"
  echo "$file"
}

# The namespaces of PIDS that the test's own shell is not in, one
# "type:[inode]" per line.
sandbox_namespaces() {
  local pid ns link
  for pid in "$@"; do
    for ns in /proc/"$pid"/ns/*; do
      link=$(readlink "$ns" 2>/dev/null) || continue
      [[ $link == "$(readlink "/proc/$$/ns/${ns##*/}" 2>/dev/null)" ]] || echo "$link"
    done
  done | sort -u
}

# Whatever still refers to one of the namespaces NAMESPACES (newline
# separated "type:[inode]"): a process in it, a descriptor on it, a bind
# mount of it (nsfs in the mount table). A zombie is left out: it runs
# nothing, its mount, network, ipc, uts and cgroup namespaces were released
# when it exited, and only its pid and credentials (so its pid and user
# namespaces) wait for whoever adopted it to reap it: the host's PID 1, for
# the sandbox's init once the supervisor is gone.
namespace_holders() {
  local line pid
  {
    find /proc/[0-9]*/ns /proc/[0-9]*/fd -maxdepth 1 -type l -printf '%p -> %l\n' 2>/dev/null
    awk '$9 == "nsfs" { print "nsfs mount -> " $4 }' /proc/self/mountinfo
  } | grep -F -f <(echo "$1") | while IFS= read -r line; do
    pid=${line#/proc/}
    pid=${pid%%/*}
    [[ $line == /proc/* && $(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null | cut -c1) == Z ]] && continue
    [[ $line == /proc/* && ! -e /proc/$pid ]] && continue
    echo "$line"
  done
}

# Models: the CI job's runner kills the supervisor with SIGKILL (OOM killer,
# a cancelled job) while the sandbox runs children and the egress gateway
# relays. Every process of the sandbox dies with it (PID 1 of its pid
# namespace goes, and the kernel kills the rest), its mounts go with its
# mount namespace, and nothing keeps any of its namespaces alive.
attack_kill_supervisor_mid_run() {
  local who=$1
  local m="5151.$$${#who}" before status namespaces pids p
  p=$(profile "$who" kill-mid-run '[network]
mode = "allowlist"
allow = ["example.invalid:443"]')
  before=$(host_leftovers)
  rm -f "$PROJECT/ready.kill"
  sandbox_bg "$who" "$SCRATCH/$who/kill.out" --profile "$p" -- sh -c '
    sleep "$1" & (sleep "$1" &) & setsid sleep "$1" & echo ready >ready.kill; wait' probe "$m"
  if ! wait_until 20 test -e "$PROJECT/ready.kill" || ! wait_until 10 marker_count_at_least "$m" 3; then
    fail "$who: the sandbox's children did not start (ready: $(cat "$PROJECT/ready.kill" 2>&1);" \
      "markers: $(marker_pids "$m" | tr '\n' ' '); airlock: $(cat "$SCRATCH/$who/kill.out"))"
    kill -KILL "$BG_PID"
    return
  fi
  pids=$(marker_pids "$m")
  # shellcheck disable=SC2086 # one pid per word
  namespaces=$(sandbox_namespaces $pids)
  expect_eq "$who: the sandbox has its seven namespaces" 7 "$(grep -cE '^(cgroup|ipc|mnt|net|pid|user|uts):' <<<"$namespaces")"
  kill -KILL "$BG_PID"
  { wait "$BG_PID"; } 2>/dev/null
  status=$?
  expect_eq "$who: the supervisor was SIGKILLed" 137 "$status"
  wait_until 5 no_marker "$m" && pass "$who: no process of the sandbox survives" ||
    fail "$who: survivors: $(marker_pids "$m" | tr '\n' ' ')"
  local holders
  no_holders() { holders=$(namespace_holders "$namespaces"); [[ -z $holders ]]; }
  if wait_until 5 no_holders; then
    pass "$who: none of its namespaces is left (no process, descriptor or nsfs mount)"
  else
    fail "$who: namespaces left: $(tr '\n' ' ' <<<"$holders")"
  fi
  expect_nothing_left "$who: no mount, airlock process or temporary file left" "$before"
}

no_process_with() { ! pgrep -f "$1" >/dev/null; }

# Models: `:(){ :|:& };:` in a build script. The bomb never stops by
# itself: limits.nproc holds it at the limit, the timeout ends the run and
# the pid namespace takes every process with it. As root the profile also
# names an unprivileged process.user (the kernel exempts root from
# RLIMIT_NPROC, and airlock refuses limits.nproc for a root payload).
attack_fork_bomb() {
  local who=$1 p user="" out status start
  [[ $who == root ]] && user="user = \"$NOBODY\""
  p=$(profile "$who" fork-bomb "[limits]
nproc = 150

[process]
timeout = \"3s\"
grace = \"1s\"
$user")
  start=$SECONDS
  out=$(sandbox "$who" --profile "$p" -- sh -c '
    awk "/^Max processes/ { print \"limit\", \$3 }" /proc/self/limits
    b() { b | b & }; b 2>/dev/null
    sleep 30 # fork-bomb.'"$$" 2>&1)
  status=$?
  expect_eq "$who: fork bomb: the run ends by its timeout" 124 "$status"
  expect_contains "$who: fork bomb: under RLIMIT_NPROC 150" "$out" "limit 150"
  ((SECONDS - start < 20)) && pass "$who: fork bomb: ended in $((SECONDS - start))s" ||
    fail "$who: fork bomb: took $((SECONDS - start))s"
  wait_until 5 no_process_with "fork-bomb.$$" && pass "$who: fork bomb: no process of it is left" ||
    fail "$who: fork bomb: $(pgrep -f "fork-bomb.$$" | wc -l) of its processes are left"
  out=$(sandbox "$who" -- sh -c 'echo after the bomb' 2>&1)
  expect_eq "$who: fork bomb: the next run works" "after the bomb" "$out"
}

# Models: a step that fills /tmp (a runaway log, an unpacked archive). The
# private /tmp and /dev/shm are tmpfs of limits.tmp each: a write past it
# fails with ENOSPC, the command goes on, and nothing of it reaches the
# host's /tmp. The control: 12 MiB fit under a 16 MiB limit.
attack_fill_tmp() {
  local who=$1 p out status
  p=$(profile "$who" fill-tmp '[limits]
tmp = "8MiB"')
  out=$(sandbox "$who" --profile "$p" -- sh -c '
    dd if=/dev/zero of=/tmp/fill.$1 bs=1M count=64 2>&1 | grep -o "No space left on device" | head -1
    echo "tmp holds $(($(wc -c </tmp/fill.$1) / 1048576)) MiB"
    dd if=/dev/zero of=/dev/shm/fill bs=1M count=64 2>&1 | grep -o "No space left on device" | head -1
    rm /tmp/fill.$1 && echo work >/tmp/after && cat /tmp/after
    exit 3' sh "$$" 2>&1)
  status=$?
  expect_eq "$who: fill /tmp: the command's own status" 3 "$status"
  expect_eq "$who: fill /tmp: ENOSPC in /tmp, at the limit, in /dev/shm, and work goes on after" \
    "No space left on device"$'\n'"tmp holds 8 MiB"$'\n'"No space left on device"$'\n'"work" "$out"
  [[ ! -e /tmp/fill.$$ && ! -e /tmp/after ]] && pass "$who: fill /tmp: nothing reached the host's /tmp" ||
    fail "$who: fill /tmp: the host's /tmp holds the sandbox's files"
  p=$(profile "$who" fill-tmp-control '[limits]
tmp = "16MiB"')
  out=$(sandbox "$who" --profile "$p" -- sh -c 'dd if=/dev/zero of=/tmp/fill bs=1M count=12 2>&1 | tail -1' 2>&1)
  expect_contains "$who: fill /tmp: control: 12 MiB fit in 16 MiB" "$out" "12582912 bytes"
}

# Models: a leak that opens descriptors until the table is full. With
# limits.nofile = 64 it gets EMFILE at the limit, closes them and goes on.
attack_exhaust_fds() {
  local who=$1 p out status
  p=$(profile "$who" nofile '[limits]
nofile = 64')
  out=$(sandbox "$who" --profile "$p" -- /usr/bin/python3 -c '
import errno, os
fds = []
try:
    while len(fds) < 100000:
        fds.append(os.open("/dev/null", os.O_RDONLY))
except OSError as e:
    print("stopped", errno.errorcode[e.errno], "at", len(fds) + 3)
for fd in fds:
    os.close(fd)
print(open("src/main.c").read().strip())' 2>&1)
  status=$?
  expect_eq "$who: descriptors: the command completes" 0 "$status"
  expect_eq "$who: descriptors: EMFILE at the limit, then work goes on" \
    "stopped EMFILE at 64"$'\n'"int main(void) { return 0; }" "$out"
}

# Every malformed profile of tests/fixtures/bad/ is refused by `run` (the
# unit test CliCheck runs `check` on them), with 125 and, first, the
# location and message its "# expect:" line names; named by a path
# relative to the working directory, as a user writes it. The working
# directory is not the project (--project): a profile file inside the
# project, which a sandboxed step can write, is refused unless trusted.
check_malformed_profiles() {
  local who=$1 f first expected err status n=0 bad=0
  rm -rf "$SCRATCH/$who/bad"
  cp -r "$AIRLOCK_SRC/tests/fixtures/bad" "$SCRATCH/$who/bad"
  chmod -R a+rX "$SCRATCH/$who/bad"
  for f in "$SCRATCH/$who/bad"/*.toml; do
    n=$((n + 1))
    first=$(head -n1 "$f")
    expected="bad/$(basename "$f"):${first#\# expect: }"
    err=$(cd "$SCRATCH/$who" && as_user "$who" env HOME="$FAKE_HOME" PATH=/usr/bin:/bin \
          "$AIRLOCK" -q run --project "$PROJECT" --profile "bad/$(basename "$f")" -- true 2>&1)
    status=$?
    # "FILE:LINE:COL: KEY: text" is printed as "FILE:LINE:COL: error: KEY: text".
    local location=${expected%%: *} text=${expected#*: }
    if [[ $status != 125 ]]; then
      fail "$who: $(basename "$f"): exit $status, not 125: $err"; bad=$((bad + 1))
    elif [[ $err != *"$location: error: "* || $err != *"$text"* ]]; then
      fail "$who: $(basename "$f"): expected [$location: error: ...$text], got: $err"; bad=$((bad + 1))
    fi
  done
  ((n >= 50)) && pass "$who: $n malformed profiles" || fail "$who: only $n malformed profiles"
  ((bad == 0)) && pass "$who: each is refused with 125 at its file:line:column with its message"
}

require_full_sandbox
require_commands python3 dd setsid pgrep
for who in root nobody; do
  make_fixture "$who"
  before=$(host_leftovers)
  attack_kill_supervisor_mid_run "$who"
  attack_fork_bomb "$who"
  attack_fill_tmp "$who"
  attack_exhaust_fds "$who"
  check_malformed_profiles "$who"
  expect_nothing_left "$who: nothing left behind" "$before"
done
finish
