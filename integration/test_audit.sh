#!/usr/bin/env bash
# ctest-labels: sanitize
# Audit mode, end to end, as root and as uid 65534: `run --audit` enforces
# nothing and reports what the profile would refuse; `audit` writes a
# profile that extends the base with what the command used, that loads,
# that is stable, and under which the same command then succeeds while a
# command that reads a secret still fails. Secrets stay hidden even while
# auditing.
source "$(dirname "$0")/lib.sh"

grep -q user_notif /proc/sys/kernel/seccomp/actions_avail 2>/dev/null ||
  skip "seccomp user notification (SECCOMP_RET_USER_NOTIF) is not available"

json() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"; }

for who in root nobody; do
  make_fixture "$who"
  OUT="$SCRATCH/$who/out"
  mkdir -p "$OUT" && chmod 777 "$OUT"
  al() { (cd "$PROJECT" && as_user "$who" env HOME="$FAKE_HOME" PATH=/usr/bin:/bin "$AIRLOCK" "$@"); }

  # --- complain mode: nothing enforced, every would-be refusal reported ---
  err=$(al run --audit --report "$OUT/complain.json" -- \
        sh -c 'cat /etc/hostname >/dev/null; echo x > '"$OUT"'/outside.txt; cat /var/lib/dpkg/status >/dev/null' 2>&1)
  expect_eq "$who: run --audit succeeds where run would not" 0 $?
  expect_eq "$who: run --audit really wrote outside the project" x "$(cat "$OUT/outside.txt" 2>/dev/null)"
  expect_contains "$who: run --audit names the refused write" "$err" "write $OUT/outside.txt"
  expect_contains "$who: run --audit names the refused read" "$err" "read /var/lib/dpkg/status"
  expect_eq "$who: the report is an audit report" airlock-audit-report "$(json "$OUT/complain.json" 'd["schema"]')"
  expect_eq "$who: the report lists the write" True \
    "$(json "$OUT/complain.json" 'any(v["kind"]=="write" and v["subject"]=="'"$OUT"'/outside.txt" for v in d["audit"]["would_be_denied"])')"
  al -q run -- sh -c 'echo y > '"$OUT"'/outside.txt' 2>/dev/null
  expect_eq "$who: the same write fails under run" 2 $?

  # --- secrets: hidden while auditing, reported loudly, never granted ---
  err=$(al run --audit -- sh -c 'cat ~/.ssh/id_rsa ~/.aws/credentials; true' 2>&1)
  expect_not_contains "$who: an audited command cannot read a secret" "$err" "planted-"
  expect_contains "$who: the touched secret is reported" "$err" "KNOWN SECRET TOUCHED: $FAKE_HOME/.ssh/id_rsa"
  : > "$FAKE_HOME/.bashrc"
  [[ $who == root ]] || chown $NOBODY:$NOBODY "$FAKE_HOME/.bashrc"
  al -q run --audit -- sh -c 'echo evil >> ~/.bashrc' 2>/dev/null
  expect_eq "$who: shell start-up files stay read-only while auditing" 2 $?
  expect_eq "$who: ~/.bashrc untouched" "" "$(cat "$FAKE_HOME/.bashrc" 2>/dev/null)"

  # --- generation: a refused syscall and a read outside the base ---
  mkdir -p "$SCRATCH/$who/data" && echo "shared" > "$SCRATCH/$who/data/table.txt"
  chmod -R a+rX "$SCRATCH/$who/data"
  task='import ctypes, sys
libc = ctypes.CDLL(None, use_errno=True)
if libc.unshare(0) != 0: sys.exit("unshare refused")
print(open("'"$SCRATCH/$who/data/table.txt"'").read().strip())'
  al -q audit -o "$OUT/gen.toml" --report "$OUT/gen.json" -- /usr/bin/python3 -c "$task" >/dev/null 2>&1
  expect_eq "$who: audit runs the command to success" 0 $?
  gen=$(cat "$OUT/gen.toml")
  expect_contains "$who: generated profile extends the base" "$gen" 'extends = ["default"]'
  expect_contains "$who: generated profile grants the data directory" "$gen" "\"$SCRATCH/$who/data\""
  expect_contains "$who: the lifted syscall is flagged" "$gen" '"!unshare",  # FLAGGED'
  expect_not_contains "$who: no grant of /" "$gen" '"/",'
  expect_not_contains "$who: no grant of the home directory" "$gen" '"?${home}",'
  al check "$OUT/gen.toml" >/dev/null 2>&1
  expect_eq "$who: airlock check accepts the generated profile" 0 $?

  al -q run -- /usr/bin/python3 -c "$task" >/dev/null 2>&1
  expect_eq "$who: the base alone refuses the command" 1 $?
  out=$(al -q run --profile "$OUT/gen.toml" -- /usr/bin/python3 -c "$task" 2>&1)
  expect_eq "$who: round trip: the command succeeds under the generated profile" 0 $?
  expect_eq "$who: round trip: and does its work" shared "$out"
  out=$(al -q run --profile "$OUT/gen.toml" -- /usr/bin/python3 -c "$task
print(open('$FAKE_HOME/.aws/credentials').read())" 2>&1)
  expect_eq "$who: reading a secret still fails under the generated profile" 1 $?
  expect_not_contains "$who: and shows nothing of it" "$out" "planted-"

  # --- stable output: the same run, the same file ---
  al -q audit -o "$OUT/gen2.toml" -- /usr/bin/python3 -c "$task" >/dev/null 2>&1
  if cmp -s "$OUT/gen.toml" "$OUT/gen2.toml"; then pass "$who: a second audit writes the same profile"
  else fail "$who: a second audit differs: $(diff "$OUT/gen.toml" "$OUT/gen2.toml")"; fi

  # --- exit statuses are the command's, as with run ---
  al -q audit -o "$OUT/x.toml" -- sh -c 'exit 3' 2>/dev/null
  expect_eq "$who: audit exits with the command's status" 3 $?
  al -q audit -o "$OUT/x.toml" -- no-such-command-xyz 2>/dev/null
  expect_eq "$who: audit of a missing command is 127" 127 $?
  al -q audit -- true 2>/dev/null
  expect_eq "$who: audit without -o is a usage error" 125 $?
done
finish
