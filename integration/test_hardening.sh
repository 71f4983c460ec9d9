#!/usr/bin/env bash
# The shipped profiles hold as shipped (issue #20), as root and as uid 65534,
# with no limit added by the test:
#   - the private /tmp and /dev/shm are bounded to 12% of memory each
#     (limits.tmp = "12%" in default): every shipped profile shows that size,
#     and a step writing past it in /tmp gets ENOSPC (the write stops; the
#     host's memory is not filled);
#   - every shipped profile holds the command to limits.processes (2048
#     tasks) through the sandbox's own pid_max (the escape suite's fork_bomb
#     attacks it in every profile);
#   - a cached directory's overlay layer (ci-step's ~/.cache) is bounded the
#     same way;
#   - personality flags and address families outside the profile's list
#     are refused with their errno in every shipped profile (the escape
#     suite's personality and socket_families probes attack them in depth);
#   - /proc shows none of what container engines mask (timer_list,
#     sched_debug, keys, kcore, acpi, ...) nor kernel addresses
#     (vmallocinfo, kallsyms);
#   - the sandbox's mount table holds only what the view grants: a host
#     mount the test makes outside every granted path is not in it, nor are
#     the host's /sys, cgroup and /dev mounts, and every bind names as its
#     source the path it is mounted at (no other host path).
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

doctor=$(cd "$SCRATCH" && "$AIRLOCK" doctor 2>/dev/null)
grep -q '^ok   user namespaces' <<<"$doctor" || skip "user namespaces are not available"
grep -q '^ok   process limit' <<<"$doctor" || skip "no pid_max per pid namespace (Linux 6.14+): limits.processes cannot hold root"
BASE_PATH=/usr/bin:/bin
PY=/usr/bin/python3
PROFILES=(default ci-step make-build npm-build npm-test npm-ci npm-scripts npm-install-script pip-install node-service)
$PY -c 'import pip' 2>/dev/null || PROFILES=("${PROFILES[@]/pip-install/}")
PATH=$BASE_PATH command -v npm >/dev/null || PROFILES=("${PROFILES[@]/npm-ci/}")

mem_kib=$(awk '$1 == "MemTotal:" { print $2 }' /proc/meminfo)
page_kib=$(($(getconf PAGESIZE) / 1024))
# 12% of memory, rounded down to whole pages, in KiB (limits.cpp: tmp_size).
# shellcheck disable=SC2017 # the same order of operations as tmp_size in limits.cpp
want_kib=$((mem_kib * 1024 / 100 * 12 / 1024 / page_kib * page_kib))

al() { as_step 120 "$PROJECT" -- "$AIRLOCK" "$@"; }

# The probe: sizes of /tmp and /dev/shm, personality and socket answers.
PROBE='import ctypes, errno, os, socket
def size(p):
    s = os.statvfs(p); return s.f_blocks * s.f_frsize // 1024
print("tmp", size("/tmp")); print("shm", size("/dev/shm"))
libc = ctypes.CDLL(None, use_errno=True)
for name, value in (("query", 0xffffffff), ("linux", 0), ("no_randomize", 0x0040000), ("read_implies_exec", 0x0400000)):
    rc = libc.personality(ctypes.c_ulong(value)); e = ctypes.get_errno()
    print("personality", name, "ok" if rc != -1 else errno.errorcode[e])
for name, family in (("unix", socket.AF_UNIX), ("inet", socket.AF_INET), ("vsock", 40), ("packet", 17), ("alg", 38)):
    try:
        socket.socket(family, socket.SOCK_DGRAM if family == 17 else socket.SOCK_STREAM if family != 38 else socket.SOCK_SEQPACKET).close(); print("socket", name, "ok")
    except OSError as e:
        print("socket", name, errno.errorcode[e.errno])
for name in ("timer_list", "vmallocinfo", "kallsyms", "keys", "sched_debug", "kcore"):
    try:
        with open("/proc/" + name, "rb") as f: print("proc", name, len(f.read(4096)))
    except FileNotFoundError: print("proc", name, "absent")
    except OSError as e: print("proc", name, errno.errorcode[e.errno])
print("pid_max", open("/proc/sys/kernel/pid_max").read().strip())
print("procdir acpi", len(os.listdir("/proc/acpi")) if os.path.isdir("/proc/acpi") else "absent")
for line in open("/proc/self/mountinfo"):
    f = line.split(); print("mount", f[4], f[3], f[f.index("-") + 1])'

# A host mount outside every path a profile grants (like a disk under /mnt):
# the sandbox must not list it.
HOST_MOUNT="$SCRATCH/host-only-mount"
mkdir -p "$HOST_MOUNT"
mount -t tmpfs -o size=1m airlock-host-only "$HOST_MOUNT" || skip "cannot mount a tmpfs for the host-mount check"
trap 'umount "$HOST_MOUNT"; cleanup_scratch' EXIT

# The control: on the host, root reads the kernel's timer list.
if [[ $(head -c 4096 /proc/timer_list | wc -c) -gt 0 ]]; then
  pass "control: the host's /proc/timer_list is not empty"
else
  fail "control: the host's /proc/timer_list is empty: the masks below prove nothing"
fi

for WHO in root nobody; do
  make_fixture "$WHO"
  mkdir -p "$PROJECT/node_modules" "$PROJECT/data" "$FAKE_HOME/.cache"
  [[ $WHO == root ]] || chown -R "$NOBODY:$NOBODY" "$PROJECT" "$FAKE_HOME"
  for profile in "${PROFILES[@]}"; do
    [[ -n $profile ]] || continue
    what="$WHO $profile"
    al -q run --profile "$profile" -- "$PY" -c "$PROBE"
    if [[ $RC != 0 ]]; then
      fail "$what: the probe did not run (exit $RC): $ERR"
      continue
    fi
    expect_eq "$what: /tmp is bounded to 12% of memory" "tmp $want_kib" "$(grep '^tmp ' <<<"$OUT")"
    expect_eq "$what: /dev/shm is bounded to 12% of memory" "shm $want_kib" "$(grep '^shm ' <<<"$OUT")"
    expect_contains "$what: the personality query works" "$OUT" "personality query ok"
    expect_contains "$what: PER_LINUX works" "$OUT" "personality linux ok"
    expect_contains "$what: ADDR_NO_RANDOMIZE is refused (EPERM)" "$OUT" "personality no_randomize EPERM"
    expect_contains "$what: READ_IMPLIES_EXEC is refused (EPERM)" "$OUT" "personality read_implies_exec EPERM"
    expect_contains "$what: unix sockets work" "$OUT" "socket unix ok"
    expect_contains "$what: inet sockets work" "$OUT" "socket inet ok"
    # What container engines mask in /proc, and kernel addresses: empty (or
    # unreadable) inside; the control below shows the host's are not.
    for name in timer_list vmallocinfo kallsyms keys sched_debug kcore; do
      got=$(awk -v n="$name" '$1 == "proc" && $2 == n { print $3 }' <<<"$OUT")
      if [[ $got == 0 || $got == absent || $got == E* ]]; then
        pass "$what: /proc/$name shows nothing ($got)"
      else
        fail "$what: /proc/$name shows $got bytes"
      fi
    done
    expect_contains "$what: /proc/acpi is an empty directory" "$OUT" "procdir acpi 0"
    for family in vsock packet alg; do
      expect_contains "$what: $family sockets are refused (EAFNOSUPPORT)" "$OUT" "socket $family EAFNOSUPPORT"
    done
    # 2048 tasks: pids 2 and 300 .. 2346 (limits.cpp, pid_range_for).
    expect_contains "$what: the sandbox's pid_max holds 2048 tasks" "$OUT" "pid_max 2347"
    mounts=$(grep '^mount ' <<<"$OUT")
    expect_contains "$what: the mount table is readable" "$mounts" "mount /proc / proc"
    expect_eq "$what: a host mount outside the granted paths is not in the mount table" "" \
      "$(grep -F " $HOST_MOUNT " <<<"$mounts")"
    expect_eq "$what: no host sysfs, cgroup or devtmpfs tree is in the mount table" "" \
      "$(awk '$4 ~ /^(sysfs|cgroup|cgroup2|securityfs|debugfs|tracefs|bpf|mqueue|hugetlbfs)$/ ||
              ($4 == "devtmpfs" && $3 != substr($2, 5))' <<<"$mounts")"
    expect_eq "$what: every bind of a host path names the path it is mounted at" "" \
      "$(awk '$4 !~ /^(tmpfs|proc|devpts|overlay|devtmpfs)$/ && $2 != $3' <<<"$mounts")"
  done

  # Filling /tmp: the write stops at the bound with ENOSPC, and the report
  # says the limit was reached.
  al -q run --report "$PROJECT/fill.json" -- "$PY" -c '
import errno, os
total = 0
chunk = b"x" * (1 << 20)
try:
    with open("/tmp/fill", "wb") as f:
        while total < (64 << 30):
            f.write(chunk); total += len(chunk)
            f.flush()
    print("filled", total >> 10)
except OSError as e:
    print("stopped", errno.errorcode[e.errno], total >> 10)'
  read -r verdict err written <<<"$OUT"
  expect_eq "$WHO default: writing /tmp full stops with ENOSPC" "stopped ENOSPC" "$verdict $err"
  if [[ -n $written && $written -le $want_kib ]]; then
    pass "$WHO default: no more than the bound was written ($written KiB of $want_kib)"
  else
    fail "$WHO default: wrote ${written:-?} KiB, past the bound of $want_kib KiB"
  fi
  expect_eq "$WHO default: the report says /tmp was filled" '["tmp"]' \
    "$($PY -c 'import json, sys; print(json.dumps(json.load(open(sys.argv[1]))["result"]["limits_reached"]))' "$PROJECT/fill.json")"

  # ci-step's ~/.cache overlay: its layer is bounded the same way.
  al -q run --profile ci-step -- "$PY" -c '
import os
s = os.statvfs(os.path.expanduser("~/.cache")); print("cache", s.f_blocks * s.f_frsize // 1024)'
  expect_eq "$WHO ci-step: the ~/.cache overlay's layer is bounded to 12% of memory" "cache $want_kib" "$OUT"
done
finish
