#!/usr/bin/env bash
# The sandbox's init lives as long as the sandbox and was forked from the
# supervisor, which holds the caller's environment. It must carry no copy of
# it: not in /proc/<init>/environ, not anywhere in its memory. Checked from
# the host as root, where every page can be read.
source "$(dirname "$0")/lib.sh"
[[ $(id -u) -eq 0 ]] || skip "needs root to read another process's memory"

make_fixture root
marker="ghp_$(head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n')"
(cd "$PROJECT" && MY_SECRET_TOKEN="$marker" PLAIN_VALUE="$marker" exec "$AIRLOCK" run -- sleep 20) &
supervisor=$!
init=""
for _ in $(seq 50); do
  init=$(pgrep -P "$supervisor" | head -n 1)
  [[ -n $init ]] && grep -q "NSpid:.*[[:space:]]1$" "/proc/$init/status" 2>/dev/null && break
  sleep 0.1
done
expect_contains "init is PID 1 of the sandbox" "$(grep NSpid "/proc/$init/status")" "	1"
sleep 0.5  # let init finish its set-up
env_hits=$(tr '\0' '\n' < "/proc/$init/environ" | grep -c "$marker")
expect_eq "init's /proc environ has no secret" 0 "$env_hits"
# memory_hits PID: how many times the marker is in the readable memory of
# PID, read in 1 MiB pieces. In an AddressSanitizer build of airlock two
# things of the sanitizer runtime are left out, and only there:
# - its shadow (one byte of metadata per eight bytes of memory, at the fixed
#   addresses of compiler-rt's asan_mapping.h for x86_64): 14 TiB of mostly
#   untouched pages that hold no data;
# - the copy of the whole environment block that sanitizer_common's GetEnv
#   reads from /proc/self/environ at start-up (to parse ASAN_OPTIONS before
#   libc is ready) and keeps in an anonymous mapping of its own: found as
#   the supervisor's environment, complete and byte for byte, in an
#   anonymous mapping. airlock's own code never holds the block whole.
# Anything else counts; what was left out is printed.
memory_hits() {
  python3 - "$1" "$marker" "$supervisor" <<'PY'
import sys
pid, needle, supervisor = sys.argv[1], sys.argv[2].encode(), sys.argv[3]
block = open(f"/proc/{supervisor}/environ", "rb").read()
ASAN_SHADOW = (0x7FFF7000, 0x10007FFF8000)
maps = [line.split() for line in open(f"/proc/{pid}/maps")]
asan = any(len(f) < 6 and int(f[0].split("-")[0], 16) == 0x2008FFF7000 for f in maps)
hits, left_out = 0, []
with open(f"/proc/{pid}/mem", "rb", buffering=0) as mem:
    for fields in maps:
        if "r" not in fields[1]:
            continue
        a, b = (int(x, 16) for x in fields[0].split("-"))
        anonymous = len(fields) < 6
        if asan and anonymous and ASAN_SHADOW[0] <= a and b <= ASAN_SHADOW[1]:
            left_out.append(f"the ASan shadow {fields[0]}")
            continue
        pieces = []
        for at in range(a, b, 1 << 20):
            try:
                mem.seek(at)
                pieces.append(mem.read(min(1 << 20, b - at)))
            except OSError:
                pieces.append(b"\0" * min(1 << 20, b - at))
        data = b"".join(pieces)
        if asan and anonymous and block in data:
            n = data.count(block)
            left_out.append(f"{n} copy of the environment block in {fields[0]} (sanitizer_common's GetEnv)")
            data = data.replace(block, b"")
        hits += data.count(needle)
for what in left_out:
    print("left out:", what, file=sys.stderr)
print(hits)
PY
}
mem_hits=$(memory_hits "$init")
expect_eq "init's memory has no copy of the secret" 0 "$mem_hits"
control_hits=$(memory_hits "$supervisor")
[[ $control_hits -ge 2 ]] && pass "control: the same scan finds the secret in the supervisor's memory ($control_hits)" ||
  fail "control: the scan finds the secret $control_hits times in the supervisor's memory"
sup_hits=$(tr '\0' '\n' < "/proc/$supervisor/environ" | grep -c "$marker")
expect_eq "control: the supervisor (the caller's process) does hold both variables" 2 "$sup_hits"
# init holds none of the supervisor's ends of their channels: the go-ahead
# pipe hangs up in init only when no writer is left, which is how init
# learns that the supervisor died before it could set PDEATHSIG; and a
# command that reached init's descriptors must not find the supervisor's
# end of the gateway or control channel there.
ends=$(python3 - "$init" "$supervisor" <<'PY'
import os, sys
O_CLOEXEC = 0o2000000
# Pipes and sockets a process holds: {target: {access mode of each end}}.
# Only close-on-exec descriptors are airlock's own: what the caller handed
# down (stdio, a CI runner's pipes) is the caller's, held by both rightly.
def ends(pid):
    out = {}
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if not target.startswith(("pipe:", "socket:")):
            continue
        flags = 0
        for line in open(f"/proc/{pid}/fdinfo/{fd}"):
            if line.startswith("flags:"):
                flags = int(line.split()[1], 8)
        if not flags & O_CLOEXEC:
            continue
        mode = flags & 3 if target.startswith("pipe:") else "socket"
        out.setdefault(target, set()).add(mode)
    return out
init, supervisor = ends(sys.argv[1]), ends(sys.argv[2])
shared = [t for t in init if t in supervisor]
same_end = [t for t in shared if init[t] & supervisor[t]]
print(f"shared={len(shared)} same_end={' '.join(same_end) or 'none'}")
PY
)
expect_contains "init holds none of the supervisor's channel ends" "$ends" "same_end=none"
[[ $ends =~ shared=([0-9]+) ]] && (( BASH_REMATCH[1] >= 2 )) &&
  pass "control: init and the supervisor share the pipes between them ($ends)" ||
  fail "control: init and the supervisor share no pipe: $ends"
kill -TERM "$supervisor"
wait "$supervisor"
finish
