#!/usr/bin/env bash
# The sandbox's init lives as long as the sandbox and was forked from the
# supervisor, which holds the caller's environment. It must carry no copy of
# it: not in /proc/<init>/environ, not anywhere in its memory. Checked from
# the host as root, where every page can be read.
source "$(dirname "$0")/lib.sh"
[[ $(id -u) -eq 0 ]] || skip "needs root to read another process's memory"

make_fixture root
marker="ghp_$(head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n')"
(cd "$PROJECT" && MY_SECRET_TOKEN="$marker" PLAIN_VALUE="$marker" exec "$AIRLOCK" run -- sleep 3) &
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
mem_hits=$(python3 - "$init" "$marker" <<'PY'
import sys
pid, needle, hits = sys.argv[1], sys.argv[2].encode(), 0
for line in open(f"/proc/{pid}/maps"):
    addr, perms = line.split()[:2]
    if "r" not in perms: continue
    a, b = (int(x, 16) for x in addr.split("-"))
    try:
        with open(f"/proc/{pid}/mem", "rb") as m:
            m.seek(a); hits += m.read(b - a).count(needle)
    except OSError: pass
print(hits)
PY
)
expect_eq "init's memory has no copy of the secret" 0 "$mem_hits"
sup_hits=$(tr '\0' '\n' < "/proc/$supervisor/environ" | grep -c "$marker")
expect_eq "control: the supervisor (the caller's process) does hold both variables" 2 "$sup_hits"
wait "$supervisor"
finish
