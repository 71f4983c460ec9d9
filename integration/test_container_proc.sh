#!/usr/bin/env bash
# Under a container engine's /proc masks (runc's defaults, emulated by
# integration/engines.sh) with user namespaces allowed, as rootless podman,
# Docker with a seccomp profile that permits them and Kubernetes with user
# namespaces give them (issue #19): the kernel refuses a fresh procfs there,
# so the sandbox gets the existing /proc bound with the engine's masks kept
# and airlock's added.
#   - doctor says so ("MISS fresh /proc") and predicts what run does: as
#     uid 65534 every layer, as root everything but limits.processes (its
#     pid_max is written through a fresh /proc; the kernel exempts root from
#     RLIMIT_NPROC), which refuses the run with 125 naming the fix;
#   - inside, what the engine masked stays masked (timer_list, keys, kcore,
#     acpi empty), /proc/sys stays read-only, and a process outside the
#     sandbox, visible in that /proc, keeps its environment (Landlock's
#     ptrace scoping refuses /proc/<pid>/environ);
#   - as root with process.user naming another user, the run goes on;
#   - with /proc/sys hidden, doctor still finds seccomp filters.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

# shellcheck source=container_lib.sh
source "$(dirname "$0")/container_lib.sh"
doctor=$(cd "$SCRATCH" && "$AIRLOCK" doctor 2>/dev/null)
grep -q '^ok   user namespaces' <<<"$doctor" || skip "user namespaces are not available"

VICTIM_SECRET="victim-env-secret-$RANDOM$RANDOM"
PROBE='for f in timer_list keys kcore sched_debug; do [ -e /proc/$f ] && echo "$f $(head -c 4096 /proc/$f 2>/dev/null | wc -c)"; done
echo "acpi $(ls -A /proc/acpi 2>/dev/null | wc -l)"
if echo x 2>/dev/null >/proc/sys/kernel/domainname; then echo "sys writable"; else echo "sys read-only"; fi
echo "victim listed $(ls /proc | grep -cx "$1")"
echo "victim environ [$(tr "\0" " " </proc/$1/environ 2>&1)]"'

# The control: the masks are in place in the emulated engine.
# shellcheck disable=SC2034 # in_engine's
FAKE_HOME=$SCRATCH
in_engine runc root "$SCRATCH" -- sh -c 'head -c 4096 /proc/timer_list | wc -c; grep -c " /proc/sys " /proc/self/mountinfo'
expect_eq "control: the emulated engine masks timer_list and binds /proc/sys" "0
1" "$OUT"

# /proc/sys hidden altogether (an empty tmpfs over it): doctor asks seccomp(2)
# itself, not /proc/sys/kernel/seccomp, whether filters are there.
out=$(cd "$SCRATCH" && unshare --mount --propagation private -- sh -c \
  'mount -t tmpfs -o ro,size=0 hidden /proc/sys && exec "$1" doctor' sh "$AIRLOCK" 2>&1)
expect_contains "doctor with /proc/sys hidden still finds seccomp filters" "$out" "ok   seccomp:"
expect_contains "doctor with /proc/sys hidden still finds seccomp user notification" "$out" \
  "ok   seccomp user notification"

for WHO in root nobody; do
  make_fixture "$WHO"
  uid=0
  [[ $WHO == root ]] || uid=$NOBODY
  setpriv --reuid=$uid --regid=$uid --clear-groups env -i "SECRET_TOKEN=$VICTIM_SECRET" sleep 300 &
  victim=$!
  # The control: outside a sandbox the victim's environment is readable.
  in_engine runc "$WHO" "$PROJECT" -- sh -c "tr '\\0' ' ' </proc/$victim/environ"
  expect_contains "$WHO: control: the victim's environment is readable outside" "$OUT" "$VICTIM_SECRET"

  in_engine runc "$WHO" "$PROJECT" -- "$AIRLOCK" doctor
  doctor=$OUT
  expect_contains "$WHO: doctor says a fresh /proc is refused here" "$doctor" "MISS fresh /proc"
  in_engine runc "$WHO" "$PROJECT" -- "$AIRLOCK" -q run -- sh -c "$PROBE" probe "$victim"
  if [[ $WHO == root ]]; then
    expect_eq "root: the run is refused (125)" 125 "$RC"
    expect_contains "root: the refusal names limits.processes and the fix" "$ERR" "set process.user to an unprivileged user"
    expect_contains "root: doctor predicted it" "$doctor" "NOT ENFORCED limits"
    printf '[profile]\nextends = ["default"]\n\n[process]\nuser = "%s"\n' "$NOBODY" >"$SCRATCH/as-nobody.toml"
    chmod 644 "$SCRATCH/as-nobody.toml"
    chown -R "$NOBODY:$NOBODY" "$PROJECT"
    in_engine runc root "$PROJECT" -- "$AIRLOCK" -q run --profile "$SCRATCH/as-nobody.toml" -- sh -c "$PROBE" probe "$victim"
    what="root as uid 65534"
  else
    expect_contains "nobody: doctor predicts every layer" "$doctor" "can be enforced"
    what=nobody
  fi
  expect_eq "$what: the run under the engine's masks succeeds" 0 "$RC"
  [[ $RC == 0 ]] || echo "$ERR" | head -5
  for f in timer_list keys sched_debug; do
    got=$(awk -v f="$f" '$1 == f { print $2 }' <<<"$OUT")
    [[ -z $got || $got == 0 ]] && pass "$what: /proc/$f stays masked (${got:-absent})" || fail "$what: /proc/$f shows $got bytes"
  done
  expect_contains "$what: /proc/acpi stays empty" "$OUT" "acpi 0"
  expect_contains "$what: /proc/sys stays read-only" "$OUT" "sys read-only"
  expect_not_contains "$what: the victim's environment is not read from inside" "$OUT" "$VICTIM_SECRET"
  kill "$victim"
  wait "$victim" 2>/dev/null
done
finish
