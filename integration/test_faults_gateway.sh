#!/usr/bin/env bash
# ctest-parts: root nobody
# The egress gateway under load and abuse, as root and as uid 65534: 1,000
# concurrent connections through it, then clients that connect and say
# nothing, servers that never answer, floods nobody reads, clients that
# reset mid-connection and servers that reset. Through all of it a fresh
# client is served at once and the 1,000 held connections still work; when
# everything is closed the supervisor holds as many descriptors as before.
#
# The servers are in a network namespace of the test's own (it re-executes
# itself under `unshare --net`), on a documentation address of its
# loopback: nothing leaves that namespace.
if [[ -z ${AIRLOCK_TEST_NETNS:-} ]]; then
  if [[ $(id -u) -ne 0 ]]; then echo "SKIP needs root to create the test's network namespace"; exit 77; fi
  if ! command -v unshare >/dev/null || ! command -v ip >/dev/null; then echo "SKIP needs unshare and ip"; exit 77; fi
  AIRLOCK_TEST_NETNS=1 exec unshare --net -- bash "$0" "$@"
fi
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/core_lib.sh"
require_full_sandbox
require_commands python3 ip

ADDR=203.0.113.40
PORT=8000
COUNT=1000
ip link set lo up
ip addr add "$ADDR/32" dev lo

install -m 755 "$AIRLOCK_SRC/integration/gateway/load_servers.py" "$SCRATCH/"
python3 "$SCRATCH/load_servers.py" "$SCRATCH/servers.ready" "$ADDR" "$PORT" &
SERVERS=$!
trap 'kill $SERVERS 2>/dev/null; cleanup_scratch' EXIT
wait_until 10 test -e "$SCRATCH/servers.ready" || { fail "the test's servers did not start"; finish; }

fds() { find "/proc/$1/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l; }
# As a condition wait_until can poll (a `test "$(fds ...)"` counts once).
fds_at_most() { (($(fds "$1") <= $2)); }
rss_kib() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status" 2>/dev/null; }

# ctest runs each user's half as its own test (AIRLOCK_TEST_PART), in parallel.
read -ra users <<<"${AIRLOCK_TEST_PART:-root nobody}"
for who in "${users[@]}"; do
  make_fixture "$who"
  install -m 644 "$AIRLOCK_SRC/integration/gateway/load_client.py" "$PROJECT/load_client.py"
  profile="$SCRATCH/$who/load.toml"
  # The relay under load: handoff = false, or the connections would not
  # pass through the supervisor at all (test_gateway_handoff.sh covers that).
  printf '[profile]\nextends = ["default"]\n\n[network]\nmode = "allowlist"\nallow = ["%s:%s-%s"]\nhandoff = false\n' \
    "$ADDR" "$PORT" "$((PORT + 3))" >"$profile"
  chmod 644 "$profile"
  report="$SCRATCH/$who/report.json"
  log="$SCRATCH/$who/airlock.err"
  user=()
  [[ $who == root ]] || user=(setpriv "--reuid=$NOBODY" "--regid=$NOBODY" --clear-groups)
  run_env
  # The supervisor is the coprocess itself (every wrapper execs), so its
  # descriptors can be counted between the client's steps.
  coproc CLIENT { cd "$PROJECT" && exec "${user[@]}" env "${RUN_ENV[@]}" "$AIRLOCK" run --profile "$profile" \
    --report "$report" -- python3 load_client.py "$ADDR" "$PORT" "$COUNT" 2>"$log"; }
  supervisor=$CLIENT_PID
  line=""
  # next WANT: reads the client's next line, which must start with WANT.
  next() {
    line=""
    IFS= read -r -t 300 line <&"${CLIENT[0]}"
    [[ $line == "$1"* ]] && return 0
    fail "$who: the client said [$line], expected $1 (airlock's log: $(tail -n 5 "$log" | tr '\n' ' '))"
    return 1
  }
  go() { echo go >&"${CLIENT[1]}"; }
  if next READY; then
    before=$(fds "$supervisor") rss_before=$(rss_kib "$supervisor")
    go
    if next OPEN; then
      during=$(fds "$supervisor")
      expect_eq "$who: $COUNT concurrent connections, each echoed" "OPEN ok=$COUNT" "$line"
      ((during >= before + COUNT)) && pass "$who: the supervisor relays them all at once ($before -> $during descriptors)" ||
        fail "$who: the supervisor holds $during descriptors with $COUNT connections open (before: $before)"
      go
      if next FAULTS; then
        expect_match "$who: a fresh client is served amid stalls, floods and resets" "$line" "fresh=1 took_ms=[0-9]+ "
        took=$(sed -n 's/.*took_ms=\([0-9]*\).*/\1/p' <<<"$line")
        ((${took:-99999} < 2000)) && pass "$who: ... at once (${took} ms)" || fail "$who: ... only after ${took} ms"
        expect_contains "$who: the $COUNT held connections still work" "$line" "held=$COUNT "
        expect_contains "$who: a server's reset reaches every client" "$line" "upstream_reset=50"
        rss=$(rss_kib "$supervisor")
        # Relays splice through pipes: bytes nobody reads wait in the kernel's
        # buffers, never in the supervisor's memory.
        ((rss - rss_before < 65536)) && pass "$who: unread floods do not grow the supervisor ($((rss - rss_before)) KiB)" ||
          fail "$who: the supervisor grew by $((rss - rss_before)) KiB"
        go
        if next CLOSED; then
          wait_until 15 fds_at_most "$supervisor" "$before"
          after=$(fds "$supervisor")
          expect_eq "$who: no descriptor leaked once all is closed ($before before, $during at the peak)" "$before" "$after"
          go
        fi
      fi
    fi
  fi
  wait "$supervisor"
  expect_eq "$who: airlock exits with the client's status" 0 $?
  summary=$(python3 - "$report" <<'EOF'
import json, sys
c = json.load(open(sys.argv[1]))["network"]["connections"]
print(f"allowed={c['allowed']} denied={c['denied']}")
EOF
)
  # 1,000 + 50 idle + 50 stalled + 20 floods + 250 resets + 50 reset by the server + 1 fresh
  expect_eq "$who: the report counts every connection, none denied" "allowed=1421 denied=0" "$summary"
  expect_not_contains "$who: the supervisor never ran out of descriptors" "$(cat "$log")" "out of file descriptors"
done
finish
