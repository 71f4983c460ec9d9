#!/usr/bin/env bash
# ctest-labels: sanitize
# The egress gateway end to end (network.mode = "allowlist"), as root and as
# uid 65534. The "internet" is a network namespace of the test's own, with
# documentation and special addresses on its loopback and servers bound
# there, and a DNS server named by a resolv.conf bound in a mount namespace
# of the test's own: no packet leaves that namespace. The DNS server logs
# every query, so the test sees what reached "upstream".
source "$(dirname "$0")/netns.sh"
source "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
[[ -x $PY ]] || skip "needs $PY"

# ---- the test's internet
ip link set lo up
for a in 203.0.113.10 203.0.113.20 203.0.113.21 203.0.113.30 198.51.100.5 169.254.169.254 10.1.2.3; do
  ip addr add "$a/32" dev lo
done
ipv6=yes
for a in 2001:db8::10 2001:db8::11; do ip -6 addr add "$a/128" dev lo nodad 2>/dev/null || ipv6=no; done
echo "nameserver 127.0.0.1" > "$SCRATCH/resolv.conf"
mount --bind "$SCRATCH/resolv.conf" /etc/resolv.conf || skip "cannot bind a resolv.conf"

install -m 755 "$AIRLOCK_SRC/integration/gateway/internet.py" "$SCRATCH/"
LOGS="$SCRATCH/internet"
mkdir -m 755 "$LOGS"
tcp_servers=(203.0.113.10:80 203.0.113.10:8080 203.0.113.20:443 203.0.113.21:443 203.0.113.30:80
             198.51.100.5:7000 198.51.100.5:7001 169.254.169.254:80 10.1.2.3:80 127.0.0.1:5432)
[[ $ipv6 == yes ]] && tcp_servers+=("[2001:db8::10]:80" "[2001:db8::11]:80")
dns_table="allowed.test=203.0.113.10,other.test=203.0.113.20,metadata.test=169.254.169.254"
dns_table+=",internal.test=10.1.2.3,*.wild.test=203.0.113.10,pinned.test=203.0.113.99"
$PY "$SCRATCH/internet.py" "$LOGS" "$dns_table" "${tcp_servers[@]}" --udp 203.0.113.20:443 203.0.113.10:5353 &
INTERNET=$!
trap 'kill $INTERNET 2>/dev/null; cleanup_scratch' EXIT
for _ in $(seq 50); do [[ -e $LOGS/ready ]] && break; sleep 0.1; done
[[ -e $LOGS/ready ]] || { fail "the test's servers did not start"; finish; }

cat > "$SCRATCH/gateway.toml" <<'EOF'
[profile]
description = "egress gateway integration test"
extends = ["default"]

[network]
mode = "allowlist"
allow = ["allowed.test:80", "*.wild.test:80", "203.0.113.20:443", "198.51.100.0/24:7000",
         "[2001:db8::10]:80", "metadata.test:80", "internal.test:80", "10.0.0.0/8:80", "pinned.test:80"]
forward = ["127.0.0.1:5432"]
publish = ["127.0.0.1:18080"]
hosts = { "pinned.test" = "203.0.113.30" }
EOF
chmod 644 "$SCRATCH/gateway.toml"

probes=(
  "connect allowed.test 80" "connect allowed.test 8080" "resolve allowed.test" "resolve other.test"
  "connect other.test 443" "connect 203.0.113.20 443" "connect 203.0.113.21 443" "connect 198.51.100.5 7000"
  "connect 198.51.100.5 7001" "connect a.wild.test 80" "connect x.y.wild.test 80" "resolve wild.test"
  "connect metadata.test 80" "connect 169.254.169.254 80" "connect internal.test 80" "connect pinned.test 80"
  "connect 127.0.0.1 5432" "udp 203.0.113.20 443" "udp 203.0.113.10 5353" "raw"
  "dnstcp allowed.test" "dnstcp evil.test" "connect 2001:db8::10 80" "connect 2001:db8::11 80"
)

# first_greeting PORT: what a host client first reads from 127.0.0.1:PORT,
# trying for 10 s while the sandbox's server starts ("" if it never does).
first_greeting() {
  local greeting=""
  for _ in $(seq 100); do
    greeting=$($PY -c '
import socket, sys
try:
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=2)
    print(s.recv(100).decode().strip())
except OSError:
    pass' "$1" 2>/dev/null)
    [[ -n $greeting ]] && break
    sleep 0.1
  done
  echo "$greeting"
}

# result PROBE: what the probe printed for PROBE
result() { sed -n "s/^$1 => //p" "$OUT"; }

# Each check twice: with the handoff (network.handoff, the default: allowed
# connections made by the supervisor and handed over) and with the relay.
sed 's/^hosts = .*/&\nhandoff = false/' "$SCRATCH/gateway.toml" > "$SCRATCH/gateway-relay.toml"
chmod 644 "$SCRATCH/gateway-relay.toml"

for variant in handoff relay; do
for user in root nobody; do
  who="$user ($variant)"
  profile="$SCRATCH/gateway.toml"
  [[ $variant == relay ]] && profile="$SCRATCH/gateway-relay.toml"
  make_fixture "$user"
  install -m 644 "$AIRLOCK_SRC/integration/gateway/probe.py" "$PROJECT/probe.py"  # readable inside
  OUT="$SCRATCH/$user/probes-$variant.out"
  REPORT="$SCRATCH/$user/report-$variant.json"
  : > "$LOGS/tcp.log"; : > "$LOGS/dns.log"; : > "$LOGS/udp.log"
  chmod 666 "$LOGS"/*.log
  quoted=$(printf "'%s' " "${probes[@]}")
  (cd "$PROJECT" && as_user "$user" env HOME="$FAKE_HOME" PATH=/usr/bin:/bin "$AIRLOCK" run \
      --profile "$profile" --report "$REPORT" -- \
      sh -c "$PY probe.py 'serve 18080' & $PY probe.py $quoted; wait" \
      > "$OUT" 2> "$SCRATCH/$user/airlock-$variant.err") &
  run_pid=$!
  published=$(first_greeting 18080)
  wait "$run_pid"
  expect_eq "$who: airlock exits with the payload's status" 0 $?
  [[ -n ${AIRLOCK_TEST_VERBOSE:-} ]] && cat "$OUT" "$SCRATCH/$user/airlock-$variant.err"
  expect_eq "$who: publish: a host client reaches the sandbox's server" "hello from the sandbox" "$published"

  expect_eq "$who: allowed name and port" "ok hello 203.0.113.10:80 +echo" "$(result 'connect allowed.test 80')"
  expect_contains "$who: allowed name, other port is reset" "$(result 'connect allowed.test 8080')" "error"
  expect_contains "$who: allowed name resolves to a synthetic address" "$(result 'resolve allowed.test')" "ok 127.77."
  expect_contains "$who: other name does not resolve" "$(result 'resolve other.test')" "error gai"
  expect_contains "$who: other name cannot be reached" "$(result 'connect other.test 443')" "error gai"
  expect_eq "$who: allowed address" "ok hello 203.0.113.20:443 +echo" "$(result 'connect 203.0.113.20 443')"
  expect_eq "$who: other address" "error ENETUNREACH" "$(result 'connect 203.0.113.21 443')"
  expect_eq "$who: allowed CIDR" "ok hello 198.51.100.5:7000 +echo" "$(result 'connect 198.51.100.5 7000')"
  expect_eq "$who: allowed CIDR, other port" "error ECONNREFUSED" "$(result 'connect 198.51.100.5 7001')"
  expect_eq "$who: wildcard, one label" "ok hello 203.0.113.10:80 +echo" "$(result 'connect a.wild.test 80')"
  expect_eq "$who: wildcard, two labels" "ok hello 203.0.113.10:80 +echo" "$(result 'connect x.y.wild.test 80')"
  expect_contains "$who: wildcard does not cover the bare suffix" "$(result 'resolve wild.test')" "error gai"
  expect_contains "$who: a name resolving to 169.254.169.254 is refused" "$(result 'connect metadata.test 80')" "error"
  expect_eq "$who: the metadata address itself" "error ENETUNREACH" "$(result 'connect 169.254.169.254 80')"
  expect_eq "$who: a private answer allowed by a CIDR" "ok hello 10.1.2.3:80 +echo" "$(result 'connect internal.test 80')"
  expect_eq "$who: hosts pin" "ok hello 203.0.113.30:80 +echo" "$(result 'connect pinned.test 80')"
  expect_eq "$who: forward of a host loopback service" "ok hello 127.0.0.1:5432 +echo" "$(result 'connect 127.0.0.1 5432')"
  expect_contains "$who: UDP to an allowed address is refused" "$(result 'udp 203.0.113.20 443')" "error"
  expect_eq "$who: UDP elsewhere" "error ENETUNREACH" "$(result 'udp 203.0.113.10 5353')"
  expect_eq "$who: raw sockets" "error EPERM" "$(result 'raw')"
  expect_eq "$who: DNS over TCP, allowed" "rcode=0 answers=1 id=ok" "$(result 'dnstcp allowed.test')"
  expect_eq "$who: DNS over TCP, other" "rcode=3 answers=0 id=ok" "$(result 'dnstcp evil.test')"
  if [[ $ipv6 == yes ]]; then
    expect_eq "$who: allowed IPv6 address" "ok hello [2001:db8::10]:80 +echo" "$(result 'connect 2001:db8::10 80')"
    expect_eq "$who: other IPv6 address" "error ENETUNREACH" "$(result 'connect 2001:db8::11 80')"
  fi

  # What reached the test's internet.
  tcp_log=$(cat "$LOGS/tcp.log"); dns_log=$(cat "$LOGS/dns.log")
  expect_not_contains "$who: nothing reached the metadata server" "$tcp_log" "169.254.169.254"
  expect_not_contains "$who: nothing reached a denied port" "$tcp_log" "203.0.113.10:8080"
  expect_not_contains "$who: nothing reached a denied address" "$tcp_log" "203.0.113.21"
  expect_eq "$who: no UDP datagram left the sandbox" "" "$(cat "$LOGS/udp.log")"
  expect_contains "$who: allowed names are resolved upstream" "$dns_log" "allowed.test"
  for name in other.test evil.test wild.test pinned.test; do
    expect_eq "$who: no upstream query for $name" 0 "$(grep -c "^$name " "$LOGS/dns.log")"
  done

  # The run report counts and lists what was denied.
  summary=$($PY - "$REPORT" <<'EOF'
import json, sys
n = json.load(open(sys.argv[1]))["network"]
c = n["connections"]
print("gateway" if n["gateway"] else "no-gateway",
      "denied>=3" if c["denied"] >= 3 else f"denied={c['denied']}",
      "allowed>=10" if c["allowed"] >= 10 else f"allowed={c['allowed']}",
      "published" if c["published"] >= 1 else "not-published",
      "forwarded" if c["forwarded"] >= 1 else "not-forwarded",
      "dns-refused" if n["dns"]["refused"] >= 2 else "dns-refused=0")
print(" ".join(sorted({q["query"].split()[0] for q in n["denied_queries"]})))
print(" ".join(sorted({d["destination"] for d in n["denied_connections"]})))
EOF
)
  expect_eq "$who: report counts" "gateway denied>=3 allowed>=10 published forwarded dns-refused" "$(sed -n 1p <<<"$summary")"
  expect_contains "$who: report lists denied queries" "$(sed -n 2p <<<"$summary")" "other.test"
  expect_contains "$who: report lists the metadata refusal" "$(sed -n 3p <<<"$summary")" "metadata.test:80"
  expect_contains "$who: report lists the denied port" "$(sed -n 3p <<<"$summary")" "allowed.test:8080"
  expect_contains "$who: denials are logged with the reason" "$(cat "$SCRATCH/$user/airlock-$variant.err")" \
    "denied metadata.test:80: metadata.test resolved to 169.254.169.254"
  handed=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["network"]["connections"]["handed_off"])' "$REPORT")
  if [[ $variant == handoff ]]; then
    expect_eq "$who: allowed egress was handed over" yes "$([[ $handed -ge 7 ]] && echo yes || echo "no ($handed)")"
  else
    expect_eq "$who: nothing handed over" 0 "$handed"
  fi
done
done

# mode = "none" with forward: the host service and nothing else; no DNS stub.
cat > "$SCRATCH/forward-only.toml" <<'EOF'
[profile]
description = "no network but a forwarded host service"
extends = ["default"]

[network]
mode = "none"
forward = ["127.0.0.1:5432"]
EOF
chmod 644 "$SCRATCH/forward-only.toml"
for who in root nobody; do
  OUT="$SCRATCH/$who/forward.out"
  : > "$LOGS/dns.log"
  (cd "$SCRATCH/$who/project" && as_user "$who" env HOME="$SCRATCH/$who/home" PATH=/usr/bin:/bin "$AIRLOCK" -q run \
      --profile "$SCRATCH/forward-only.toml" -- \
      $PY probe.py "connect 127.0.0.1 5432" "connect 203.0.113.20 443" "resolve allowed.test" > "$OUT" 2>&1)
  expect_eq "$who: mode none: forward works" "ok hello 127.0.0.1:5432 +echo" "$(result 'connect 127.0.0.1 5432')"
  expect_eq "$who: mode none: nothing else" "error ENETUNREACH" "$(result 'connect 203.0.113.20 443')"
  expect_contains "$who: mode none: no names" "$(result 'resolve allowed.test')" "error gai"
  expect_eq "$who: mode none: no upstream query" "" "$(cat "$LOGS/dns.log")"

  # The same without a profile file: --forward and --publish on the command line.
  (cd "$SCRATCH/$who/project" && as_user "$who" env HOME="$SCRATCH/$who/home" PATH=/usr/bin:/bin "$AIRLOCK" -q run \
      --forward 127.0.0.1:5432 --publish 127.0.0.1:18081 -- \
      sh -c "$PY probe.py 'serve 18081' & $PY probe.py 'connect 127.0.0.1 5432' 'connect 203.0.113.20 443'; wait" \
      > "$OUT" 2>&1) &
  run_pid=$!
  published=$(first_greeting 18081)
  wait "$run_pid"
  expect_eq "$who: --forward: the host service" "ok hello 127.0.0.1:5432 +echo" "$(result 'connect 127.0.0.1 5432')"
  expect_eq "$who: --forward: nothing else" "error ENETUNREACH" "$(result 'connect 203.0.113.20 443')"
  expect_eq "$who: --publish: a host client reaches the sandbox's server" "hello from the sandbox" "$published"
done
finish
