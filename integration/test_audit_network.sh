#!/usr/bin/env bash
# ctest-labels: sanitize
# Audit mode's network, end to end, as root and as uid 65534: the audited
# command runs behind the gateway in log-only mode, which answers every name
# that resolves, relays every TCP connection and records names and
# connections; the generated profile allows names as name:port, addresses
# that came from no name as address:port, and host loopback services as
# forward entries; under it the same command succeeds and a second name
# fails. The "internet" is a network namespace of the test's own (as in
# test_gateway.sh): addresses on its loopback, servers bound there, and a
# DNS server named by a resolv.conf bound in a mount namespace of the test's
# own, which logs every query. No packet leaves that namespace.
source "$(dirname "$0")/netns.sh"
source "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
[[ -x $PY ]] || skip "needs $PY"
grep -q user_notif /proc/sys/kernel/seccomp/actions_avail 2>/dev/null ||
  skip "seccomp user notification (SECCOMP_RET_USER_NOTIF) is not available"

# ---- the test's internet
ip link set lo up
for a in 203.0.113.10 203.0.113.20 203.0.113.30 10.1.2.3; do ip addr add "$a/32" dev lo; done
echo "nameserver 127.0.0.1" > "$SCRATCH/resolv.conf"
mount --bind "$SCRATCH/resolv.conf" /etc/resolv.conf || skip "cannot bind a resolv.conf"
install -m 755 "$AIRLOCK_SRC/integration/gateway/internet.py" "$SCRATCH/"
LOGS="$SCRATCH/internet"
mkdir -m 755 "$LOGS"
dns_table="registry.test=203.0.113.10,mirror.test=203.0.113.20,internal.test=10.1.2.3"
$PY "$SCRATCH/internet.py" "$LOGS" "$dns_table" 203.0.113.10:443 203.0.113.20:443 203.0.113.30:80 10.1.2.3:80 \
  127.0.0.1:5432 &
INTERNET=$!
trap 'kill $INTERNET 2>/dev/null; cleanup_scratch' EXIT
for _ in $(seq 50); do [[ -e $LOGS/ready ]] && break; sleep 0.1; done
[[ -e $LOGS/ready ]] || { fail "the test's servers did not start"; finish; }

json() { $PY -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"; }
# network_of PROFILE: its [network] table, one "key=value" per line
network_of() {
  $PY -c 'import sys, tomllib
for k, v in tomllib.load(open(sys.argv[1], "rb")).get("network", {}).items():
    print(f"{k}={v}")' "$1"
}
# result OUT PROBE: what probe.py printed for PROBE
result() { sed -n "s/^$2 => //p" <<<"$1"; }

# What the audited command does: a name (and, in a second round, the same
# name again), a name that resolves to a private address, an address that
# came from no name, a host loopback service, a name that does not exist.
task=("connect registry.test 443" "connect internal.test 80" "connect 203.0.113.30 80" "connect 127.0.0.1 5432"
      "resolve nothere.test" "connect 203.0.113.30 81" "connect mirror.test 8443")

for who in root nobody; do
  make_fixture "$who"
  install -m 644 "$AIRLOCK_SRC/integration/gateway/probe.py" "$PROJECT/probe.py"
  OUT="$SCRATCH/$who/out"
  mkdir -p "$OUT" && chmod 777 "$OUT"
  : > "$LOGS/tcp.log"; : > "$LOGS/dns.log"; chmod 666 "$LOGS"/*.log
  al() { (cd "$PROJECT" && as_user "$who" env HOME="$FAKE_HOME" PATH=/usr/bin:/bin "$AIRLOCK" "$@"); }

  # ---- the audit: everything reachable, everything recorded
  out=$(al -q audit -o "$OUT/gen.toml" --report "$OUT/audit.json" -- $PY probe.py "${task[@]}" 2>"$OUT/audit.err")
  expect_eq "$who: the audit runs the command to success" 0 $?
  [[ -n ${AIRLOCK_TEST_VERBOSE:-} ]] && cat "$OUT/audit.err"
  expect_eq "$who: audited: a name the base does not allow is reached" "ok hello 203.0.113.10:443 +echo" \
    "$(result "$out" 'connect registry.test 443')"
  expect_eq "$who: audited: a name resolving to a private address is reached" "ok hello 10.1.2.3:80 +echo" \
    "$(result "$out" 'connect internal.test 80')"
  expect_eq "$who: audited: an address is reached" "ok hello 203.0.113.30:80 +echo" \
    "$(result "$out" 'connect 203.0.113.30 80')"
  expect_eq "$who: audited: a host loopback service is reached" "ok hello 127.0.0.1:5432 +echo" \
    "$(result "$out" 'connect 127.0.0.1 5432')"
  expect_contains "$who: audited: a name that does not exist does not resolve" \
    "$(result "$out" 'resolve nothere.test')" "error gai"
  expect_contains "$who: the audit resolved the names upstream" "$(cat "$LOGS/dns.log")" "registry.test 1"
  # Nothing listens there: connect() fails as it would without the audit,
  # and the attempts are listed, not granted.
  expect_eq "$who: audited: an address nothing answers on is refused at connect()" "error ECONNREFUSED" \
    "$(result "$out" 'connect 203.0.113.30 81')"
  expect_eq "$who: audited: a name nothing answers on is refused at connect()" "error ECONNREFUSED" \
    "$(result "$out" 'connect mirror.test 8443')"
  header=$(grep -A3 '^# Attempted, NOT granted' "$OUT/gen.toml")
  expect_contains "$who: the header lists the address attempted" "$header" "#   connect 203.0.113.30:81 ("
  expect_contains "$who: the header lists the name attempted" "$header" "#   connect mirror.test:8443 ("

  gen=$(grep -v "^#" "$OUT/gen.toml")  # entries, not the comments (the command line names everything)
  expect_contains "$who: the profile switches to an allowlist" "$gen" 'mode = "allowlist"'
  expect_contains "$who: the name is allowed as name:port" "$gen" '"registry.test:443"'
  expect_contains "$who: the private name is allowed by name" "$gen" '"internal.test:80"'
  expect_contains "$who: and its address too (the gateway's rebinding guard)" "$gen" '"10.1.2.3:80"'
  expect_contains "$who: the address from no name stays address:port" "$gen" '"203.0.113.30:80"'
  expect_contains "$who: the host loopback service is a forward entry" "$gen" 'forward = ["127.0.0.1:5432"]'
  expect_not_contains "$who: no synthetic address in the profile" "$gen" "127.77."
  expect_not_contains "$who: no entry for the stub" "$gen" "127.0.0.53"
  expect_not_contains "$who: no entry for the resolved address of a name" "$gen" '"203.0.113.10:443"'
  expect_not_contains "$who: no entry for a name never connected to" "$gen" "nothere.test"
  expect_not_contains "$who: no entry for an address nothing answered on" "$gen" "203.0.113.30:81"
  expect_not_contains "$who: no entry for a name nothing answered on" "$gen" "mirror.test"
  al check "$OUT/gen.toml" >/dev/null 2>&1
  expect_eq "$who: airlock check accepts the generated profile" 0 $?

  # The report: names resolved, connections, what the base would have refused.
  expect_eq "$who: report: observed by the log-only gateway" "gateway, log-only True" \
    "$(json "$OUT/audit.json" 'd["audit"]["network"]["observed_by"], d["network"]["log_only"]')"
  expect_eq "$who: report: names resolved, with their addresses" \
    "internal.test=10.1.2.3 mirror.test=203.0.113.20 nothere.test=Domain name not found registry.test=203.0.113.10" \
    "$(json "$OUT/audit.json" '" ".join(n["name"] + "=" + (",".join(n["addresses"]) or n["error"]) for n in d["audit"]["network"]["names"])')"
  expect_eq "$who: report: connections to names (mirror.test:8443 attempted)" \
    "internal.test:80 mirror.test:8443 registry.test:443" \
    "$(json "$OUT/audit.json" '" ".join(c["to"] for c in d["audit"]["network"]["named_connections"])')"
  expect_eq "$who: report: the base would have refused the name" True \
    "$(json "$OUT/audit.json" 'any(v["kind"] == "connect" and v["subject"] == "registry.test:443" for v in d["audit"]["would_be_denied"])')"
  expect_eq "$who: report: and nothing was denied during the audit" "0 0" \
    "$(json "$OUT/audit.json" 'd["network"]["connections"]["denied"], d["network"]["dns"]["refused"]')"

  # ---- the round trip: the same command under the generated profile
  : > "$LOGS/tcp.log"; : > "$LOGS/dns.log"
  out=$(al -q run --profile "$OUT/gen.toml" -- $PY probe.py "${task[@]}" 2>&1)
  expect_eq "$who: round trip: the command succeeds under the generated profile" 0 $?
  expect_eq "$who: round trip: the name" "ok hello 203.0.113.10:443 +echo" "$(result "$out" 'connect registry.test 443')"
  expect_eq "$who: round trip: the private name" "ok hello 10.1.2.3:80 +echo" "$(result "$out" 'connect internal.test 80')"
  expect_eq "$who: round trip: the address" "ok hello 203.0.113.30:80 +echo" "$(result "$out" 'connect 203.0.113.30 80')"
  expect_eq "$who: round trip: the forward" "ok hello 127.0.0.1:5432 +echo" "$(result "$out" 'connect 127.0.0.1 5432')"

  # ---- a second name: not in the profile, so not reached
  out=$(al -q run --profile "$OUT/gen.toml" -- $PY probe.py "connect registry.test 443" "connect mirror.test 443" 2>&1)
  expect_eq "$who: the first name still works" "ok hello 203.0.113.10:443 +echo" \
    "$(result "$out" 'connect registry.test 443')"
  expect_contains "$who: a second name fails under the generated profile" "$(result "$out" 'connect mirror.test 443')" \
    "error gai"
  out=$(al -q run --profile "$OUT/gen.toml" -- $PY -c 'import socket; socket.create_connection(("mirror.test", 443), timeout=5)' 2>&1)
  expect_eq "$who: a command that needs the second name fails" 1 $?
  expect_not_contains "$who: nothing reached the second name's server" "$(cat "$LOGS/tcp.log")" "203.0.113.20"
  expect_eq "$who: the second name was not even asked upstream" 0 "$(grep -c '^mirror.test ' "$LOGS/dns.log")"

  # ---- complain mode under the generated profile names the second name
  err=$(al run --audit --profile "$OUT/gen.toml" -- $PY probe.py "connect mirror.test 443" 2>&1 >"$OUT/complain.out")
  expect_eq "$who: run --audit reaches the second name" "ok hello 203.0.113.20:443 +echo" \
    "$(result "$(cat "$OUT/complain.out")" 'connect mirror.test 443')"
  expect_contains "$who: run --audit names it as a would-be refusal" "$err" "connect mirror.test:443"
  expect_not_contains "$who: run --audit does not flag what the profile allows" "$err" "connect registry.test:443"

  # ---- a base that allows the name already: nothing to add for it
  printf '[profile]\nextends = ["default"]\n[network]\nmode = "allowlist"\nallow = ["*.test:443"]\n' > "$OUT/base.toml"
  chmod 644 "$OUT/base.toml"
  al -q audit --profile "$OUT/base.toml" -o "$OUT/gen2.toml" -- $PY probe.py "connect registry.test 443" \
    "connect internal.test 80" >/dev/null 2>&1
  expect_eq "$who: audit with an allowlist base succeeds" 0 $?
  expect_eq "$who: a name the base allows is not added, the others are" \
    "allow=['10.1.2.3:80', 'internal.test:80']" "$(network_of "$OUT/gen2.toml")"

  # ---- a host-network base: the host's network, as `run` gives it; no names
  printf '[profile]\nextends = ["default"]\n[network]\nmode = "host"\n' > "$OUT/host.toml"
  chmod 644 "$OUT/host.toml"
  out=$(al -q audit --profile "$OUT/host.toml" -o "$OUT/gen3.toml" --report "$OUT/host.json" -- \
        $PY probe.py "connect 203.0.113.30 80" 2>/dev/null)
  expect_eq "$who: host base: the audit reaches the address directly" "ok hello 203.0.113.30:80 +echo" \
    "$(result "$out" 'connect 203.0.113.30 80')"
  expect_eq "$who: host base: observed on the host network, without the gateway" "connect() calls, host network False" \
    "$(json "$OUT/host.json" 'd["audit"]["network"]["observed_by"], d["network"]["gateway"]')"
done
finish
