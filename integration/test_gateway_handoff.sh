#!/usr/bin/env bash
# ctest-labels: sanitize
# The gateway's handoff (network.handoff, on by default), as root and as uid
# 65534: an allowed TCP connection is made by the supervisor from the host
# and the connected socket put in the command's place, so getpeername()
# inside names the real destination (the relay shows the sandbox's side).
# Then the attacks on a handed-over socket, which lives in the host's
# network namespace: disconnect and reconnect it elsewhere, TCP Fast Open,
# and the race of a descriptor number swapped between a unix socket and a
# handed-over one while its address changes; the denied server must see
# nothing. The "internet" is a network namespace of the test's own, as in
# test_gateway.sh.
source "$(dirname "$0")/netns.sh"
source "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
[[ -x $PY ]] || skip "needs $PY"
"$AIRLOCK" doctor 2>&1 | grep -q "^ok.*gateway handoff" || skip "the gateway's handoff is not available here ($AIRLOCK doctor)"

ip link set lo up
for a in 203.0.113.10 203.0.113.20 203.0.113.21; do ip addr add "$a/32" dev lo; done
# An allowed address whose SYNs go nowhere (not local, not forwarded): a
# connection to it stays in SYN_SENT.
ip route add 203.0.113.50/32 dev lo
echo "nameserver 127.0.0.1" > "$SCRATCH/resolv.conf"
mount --bind "$SCRATCH/resolv.conf" /etc/resolv.conf || skip "cannot bind a resolv.conf"
install -m 755 "$AIRLOCK_SRC/integration/gateway/internet.py" "$SCRATCH/"
LOGS="$SCRATCH/internet"
mkdir -m 755 "$LOGS"
$PY "$SCRATCH/internet.py" "$LOGS" "allowed.test=203.0.113.10" 203.0.113.10:80 203.0.113.20:443 203.0.113.21:443 &
INTERNET=$!
trap 'kill $INTERNET 2>/dev/null; cleanup_scratch' EXIT
for _ in $(seq 50); do [[ -e $LOGS/ready ]] && break; sleep 0.1; done
[[ -e $LOGS/ready ]] || { fail "the test's servers did not start"; finish; }

profile() {  # profile FILE HANDOFF
  cat > "$1" <<EOF
[profile]
extends = ["default"]

[network]
mode = "allowlist"
allow = ["allowed.test:80", "203.0.113.20:443", "203.0.113.50:443"]
handoff = $2
EOF
  chmod 644 "$1"
}
profile "$SCRATCH/handoff.toml" true
profile "$SCRATCH/relay.toml" false

probes=(
  "blocking allowed.test 80" "blocking 203.0.113.20 443" "nonblocking 203.0.113.20 443"
  "epoll_first 203.0.113.20 443" "options 203.0.113.20 443" "cloexec 203.0.113.20 443" "disconnect 203.0.113.20 443 203.0.113.21"
  "fastopen 203.0.113.20 443" "race 203.0.113.20 443 203.0.113.21" "shutdown_listen 203.0.113.50 443 47000"
  "hang" "alarm 203.0.113.50 443" "lowport" "unix" "local"
  "blocking 203.0.113.21 443"
)
result() { sed -n "s/^$1 => //p" "$OUT"; }

run_probes() {  # run_probes WHO PROFILE
  OUT="$SCRATCH/$1/$(basename "$2" .toml).out"
  REPORT="$SCRATCH/$1/$(basename "$2" .toml).json"
  : > "$LOGS/tcp.log"; chmod 666 "$LOGS/tcp.log"
  (cd "$PROJECT" && as_user "$1" env HOME="$FAKE_HOME" PATH=/usr/bin:/bin "$AIRLOCK" -q run \
      --profile "$2" --report "$REPORT" -- $PY handoff_probe.py "${probes[@]}" > "$OUT" 2>&1)
  STATUS=$?
  [[ -n ${AIRLOCK_TEST_VERBOSE:-} ]] && cat "$OUT"
}

report_field() { $PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["network"]["connections"][sys.argv[2]])' "$REPORT" "$1"; }

for who in root nobody; do
  make_fixture "$who"
  install -m 644 "$AIRLOCK_SRC/integration/gateway/handoff_probe.py" "$PROJECT/handoff_probe.py"

  run_probes "$who" "$SCRATCH/handoff.toml"
  expect_eq "$who: the run succeeds" 0 "$STATUS"
  expect_eq "$who: an allowed name, handed over: the peer is the real address" \
    "ok hello 203.0.113.10:80 peer=203.0.113.10:80" "$(result 'blocking allowed.test 80')"
  expect_eq "$who: an allowed address, handed over" \
    "ok hello 203.0.113.20:443 peer=203.0.113.20:443" "$(result 'blocking 203.0.113.20 443')"
  expect_eq "$who: non-blocking connect: EINPROGRESS, then 0, then EISCONN, as without airlock" \
    "EINPROGRESS so_error=0 0 EISCONN" "$(result 'nonblocking 203.0.113.20 443')"
  expect_eq "$who: a socket watched by epoll before connect() is served (relayed, not handed over)" \
    "EINPROGRESS ok hello 203.0.113.20:443" "$(result 'epoll_first 203.0.113.20 443')"
  expect_eq "$who: options set before connect() are kept" \
    "nodelay=True keepalive=True keepidle=77 sndbuf=131072 syncnt=3 peer=203.0.113.20" "$(result 'options 203.0.113.20 443')"
  expect_eq "$who: close-on-exec kept, and its absence" "cloexec inherit" "$(result 'cloexec 203.0.113.20 443')"
  expect_eq "$who: a handed-over socket cannot be disconnected and sent elsewhere" \
    "unspec=ENOTSUP then=EISCONN" "$(result 'disconnect 203.0.113.20 443 203.0.113.21')"
  expect_eq "$who: TCP Fast Open (connects without connect()) is refused" \
    "error ENOTSUP" "$(result 'fastopen 203.0.113.20 443')"
  race=$(result 'race 203.0.113.20 443 203.0.113.21')
  expect_contains "$who: the descriptor/address race ran" "$race" "outcomes "
  expect_not_contains "$who: ... and never connected the socket to the denied address" "$race" "ESCAPED"
  expect_contains "$who: ... nor made it listen" "$race" "listen=EINVAL"
  expect_eq "$who: a handed-over socket undone by shutdown() cannot bind or listen (on the host)" \
    "EINPROGRESS bind=EINVAL listen=EINVAL" "$(result 'shutdown_listen 203.0.113.50 443 47000')"
  expect_eq "$who: nothing listens on the host's port 47000" "" "$(ss -Htln 'sport = :47000')"
  expect_eq "$who: a signal during a handed-over blocking connect() loses nothing (it times out as it would)" \
    "error ETIMEDOUT signal=yes" "$(result 'alarm 203.0.113.50 443')"
  expect_contains "$who: the supervisor keeps answering while a thread races O_NONBLOCK" \
    "$(result 'hang')" "answering after"
  expect_eq "$who: unix sockets still connect (the kernel runs those)" "ok unix hello" "$(result 'unix')"
  expect_eq "$who: low ports need CAP_NET_BIND_SERVICE, whatever the address family says" \
    "81=EACCES 82=EACCES 8081=0" "$(result 'lowport')"
  expect_eq "$who: the sandbox's own loopback servers still connect" "ok local hello" "$(result 'local')"
  expect_eq "$who: a denied address still has no route" "error ENETUNREACH" "$(result 'blocking 203.0.113.21 443')"
  expect_not_contains "$who: nothing reached the denied server" "$(cat "$LOGS/tcp.log")" "203.0.113.21"
  expect_contains "$who: the allowed servers were reached" "$(cat "$LOGS/tcp.log")" "203.0.113.20:443"
  handed=$(report_field handed_off)
  expect_eq "$who: the report counts the handed-over connections" yes "$([[ $handed -ge 8 ]] && echo yes || echo "no ($handed)")"

  # The guard on the supervisor's connect() is a SIGALRM timer: started
  # with SIGALRM blocked (inherited), airlock must still be guarded.
  OUT="$SCRATCH/$who/blocked.out"
  (cd "$PROJECT" && as_user "$who" env HOME="$FAKE_HOME" PATH=/usr/bin:/bin $PY -c '
import os, signal, sys
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
os.execv(sys.argv[1], sys.argv[1:])' "$AIRLOCK" -q run --profile "$SCRATCH/handoff.toml" -- $PY handoff_probe.py hang > "$OUT" 2>&1)
  expect_contains "$who: started with SIGALRM blocked, the supervisor keeps answering" "$(result 'hang')" "answering after"

  # Socket activation: a listener of the host's passed as fd 3.
  OUT="$SCRATCH/$who/activated.out"
  (cd "$PROJECT" && as_user "$who" env HOME="$FAKE_HOME" PATH=/usr/bin:/bin $PY -c '
import os, socket, sys
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(1)
os.dup2(s.fileno(), 3)
os.set_inheritable(3, True)  # the socket may itself be fd 3, close-on-exec
os.environ.update(LISTEN_FDS="1", LISTEN_PID=str(os.getpid()))
os.execv(sys.argv[1], sys.argv[1:])' "$AIRLOCK" -q run --profile "$SCRATCH/handoff.toml" -- $PY handoff_probe.py relisten > "$OUT" 2>&1)
  expect_contains "$who: listen() again on a socket-activated listener works" "$(result 'relisten')" "ok listening on"

  run_probes "$who" "$SCRATCH/relay.toml"
  expect_eq "$who: handoff = false: the run succeeds" 0 "$STATUS"
  expect_contains "$who: handoff = false: relayed, the peer is the sandbox's side" \
    "$(result 'blocking allowed.test 80')" "ok hello 203.0.113.10:80 peer=127.77."
  expect_eq "$who: handoff = false: TCP Fast Open is not refused by airlock" "ok sent" \
    "$(result 'fastopen 203.0.113.20 443')"
  expect_eq "$who: handoff = false: nothing handed over" 0 "$(report_field handed_off)"
done
finish
