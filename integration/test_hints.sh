#!/usr/bin/env bash
# A failing run explains itself: the last lines on stderr name what airlock
# refused and the flag that would allow it. Following the hint succeeds.
# As root and as uid 65534, against a server the test starts on loopback.
source "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || skip "no python3 for the test server"

port_file="$SCRATCH/port"
/usr/bin/python3 - "$port_file" <<'PY' &
import socket, sys
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(64)
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
while True:
    c, _ = s.accept(); c.sendall(b"hello from the host\n"); c.close()
PY
server=$!
trap 'kill $server 2>/dev/null; cleanup_scratch' EXIT
for _ in $(seq 50); do [[ -s $port_file ]] && break; sleep 0.1; done
port=$(cat "$port_file")
client="import socket; s = socket.create_connection(('127.0.0.1', $port), 3); print(s.recv(64).decode().strip())"

for who in root nobody; do
  make_fixture "$who"
  run() { (cd "$PROJECT" && as_user "$who" env HOME="$FAKE_HOME" PATH=/usr/bin:/bin GITHUB_TOKEN=ghp_hint "$AIRLOCK" run "$@" 2>&1); }
  # An allowed port on another address: the gateway sees the connection
  # and refuses it (no rule names 127.0.0.1).
  out=$(run --allow-net "127.0.0.2:$port" -- python3 -c "$client")
  status=$?
  [[ $status -ne 0 ]] && pass "$who: the run fails ($status)" || fail "$who: the run should fail"
  hint=$(grep "denied: connection to" <<<"$out" | tail -n 1)
  expect_contains "$who: the hint names the destination" "$hint" "127.0.0.1:$port"
  flag=$(sed -n 's/.*To allow it: \(--allow-net [^ ,]*\).*/\1/p' <<<"$hint")
  expect_eq "$who: the hint gives the flag" "--allow-net 127.0.0.1:$port" "$flag"
  expect_contains "$who: a dropped secret name is explained too" "$out" "dropped from the environment: GITHUB_TOKEN"
  expect_not_contains "$who: hints never show a value" "$out" "ghp_hint"
  # Follow the hint.
  # shellcheck disable=SC2086
  out=$(run $flag -- python3 -c "$client")
  expect_eq "$who: following the hint succeeds" "hello from the host" "$out"
  out=$(run -- true)
  expect_not_contains "$who: a successful run prints no hints" "$out" "To allow it"
done
finish
