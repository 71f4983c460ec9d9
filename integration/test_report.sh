#!/usr/bin/env bash
# ctest-labels: sanitize
# The run report (--report) validates against packaging/report.schema.json in
# every way a run can end (a refusal before anything ran included), as root
# and as uid 65534, and never carries a
# secret's value; --log-format json writes one JSON object per stderr line.
source "$(dirname "$0")/lib.sh"
PYTHON=${AIRLOCK_PYTHON:-/usr/bin/python3}
SCHEMA="$AIRLOCK_SRC/packaging/report.schema.json"
"$PYTHON" -c 'import jsonschema' 2>/dev/null ||
  skip "python3-jsonschema is not installed for $PYTHON: bash packaging/deps.sh"
cp "$SCHEMA" "$SCRATCH/schema.json" && chmod 644 "$SCRATCH/schema.json"

# validate REPORT: prints nothing when REPORT is valid, else the errors.
validate() {
  "$PYTHON" - "$SCRATCH/schema.json" "$1" <<'EOF'
import json, sys
from jsonschema import Draft202012Validator
schema = json.load(open(sys.argv[1]))
Draft202012Validator.check_schema(schema)
try:
    report = json.load(open(sys.argv[2]))
except (OSError, ValueError) as e:
    print("not JSON: %s" % e)
    sys.exit(0)
for error in sorted(Draft202012Validator(schema).iter_errors(report), key=str):
    print("%s: %s" % ("/".join(map(str, error.path)) or "(top)", error.message))
EOF
}
# field REPORT EXPRESSION: a value out of the report, e.g. field r.json '["result"]["signal"]'.
field() { "$PYTHON" -c "import json,sys; print(json.dumps(json.load(open(sys.argv[1]))$2))" "$1"; }

for who in root nobody; do
  make_fixture "$who"
  out="$SCRATCH/$who/reports"
  mkdir -p "$out"
  [[ $who == root ]] || chown $NOBODY:$NOBODY "$out"
  run() { (cd "$PROJECT" && as_user "$who" env HOME="$FAKE_HOME" PATH=/usr/bin:/bin \
           FOO_TOKEN=planted-token-value GREETING=hello "$AIRLOCK" -q run "$@" 2>/dev/null); }
  # `airlock trust` as the operator does before the project's own profiles
  # (.airlock/, which a sandboxed step can write) are used: same user, same home.
  trust() {
    local said
    said=$(cd "$PROJECT" && as_user "$who" env HOME="$FAKE_HOME" PATH=/usr/bin:/bin "$AIRLOCK" trust 2>&1) ||
      fail "$who: airlock trust: $said"
  }

  run --report "$out/ok.json" -- true
  expect_eq "$who: a report for a successful run is valid" "" "$(validate "$out/ok.json")"
  expect_eq "$who: exit status 0 recorded" "0" "$(field "$out/ok.json" '["result"]["exit_status"]')"
  expect_eq "$who: the run was complete" "true" "$(field "$out/ok.json" '["complete"]')"
  expect_contains "$who: the secret name is listed as dropped" "$(field "$out/ok.json" '["environment"]["dropped"]')" \
    '"name": "FOO_TOKEN", "reason": "secret name'
  expect_not_contains "$who: the secret value is not in the report" "$(cat "$out/ok.json")" "planted-token-value"

  run --report "$out/status.json" -- sh -c 'exit 7'
  expect_eq "$who: report of a failing command is valid" "" "$(validate "$out/status.json")"
  expect_eq "$who: its status is recorded" "7" "$(field "$out/status.json" '["result"]["exit_status"]')"

  run --report "$out/signal.json" -- sh -c 'kill -TERM $$'
  expect_eq "$who: report of a killed command is valid" "" "$(validate "$out/signal.json")"
  expect_eq "$who: the signal is recorded" "15 143" \
    "$(field "$out/signal.json" '["result"]["signal"]') $(field "$out/signal.json" '["result"]["exit_status"]')"

  run --timeout 300ms --report "$out/timeout.json" -- sleep 30
  expect_eq "$who: report of a timed-out command is valid" "" "$(validate "$out/timeout.json")"
  expect_eq "$who: the timeout is recorded" "true 124" \
    "$(field "$out/timeout.json" '["result"]["timed_out"]') $(field "$out/timeout.json" '["result"]["exit_status"]')"

  run --report "$out/notfound.json" -- no-such-command-xyz
  expect_eq "$who: report of a command not found is valid" "" "$(validate "$out/notfound.json")"
  expect_eq "$who: status 127 recorded" "127" "$(field "$out/notfound.json" '["result"]["exit_status"]')"
  expect_not_contains "$who: the set-up error is given" "$(field "$out/notfound.json" '["result"]["setup_error"]')" '""'

  # The gateway's "log_only": false when it enforced an allowlist, true in
  # an audit, whose report is this run report plus an "audit" object.
  run --allow-net 127.0.0.1:9 --report "$out/gateway.json" -- true
  expect_eq "$who: report of a gateway run is valid" "" "$(validate "$out/gateway.json")"
  expect_eq "$who: the gateway enforced, not only observed" "true false" \
    "$(field "$out/gateway.json" '["network"]["gateway"]') $(field "$out/gateway.json" '["network"]["log_only"]')"
  if grep -q user_notif /proc/sys/kernel/seccomp/actions_avail 2>/dev/null; then
    run --audit --report "$out/audit.json" -- true
    expect_eq "$who: an audit report, its audit object included, is valid" "" "$(validate "$out/audit.json")"
    expect_eq "$who: ... and says it is one" "\"airlock-audit-report\"" "$(field "$out/audit.json" '["schema"]')"
    # `airlock audit -o`: the report also describes the profile it wrote.
    (cd "$PROJECT" && as_user "$who" env HOME="$FAKE_HOME" PATH=/usr/bin:/bin "$AIRLOCK" -q audit \
      -o "$out/generated.toml" --report "$out/generated.json" -- sh -c 'cat /etc/hostname; echo x > out.txt' \
      >/dev/null 2>&1)
    expect_eq "$who: an audit report with the generated profile is valid" "" "$(validate "$out/generated.json")"
    expect_eq "$who: ... and names the file it wrote" "\"$out/generated.toml\"" \
      "$(field "$out/generated.json" '["audit"]["generated"]["file"]')"
    expect_eq "$who: the audit's gateway only observed" "true true" \
      "$(field "$out/audit.json" '["network"]["gateway"]') $(field "$out/audit.json" '["network"]["log_only"]')"
  fi

  # A requirement this kernel cannot meet, accepted with best effort: the
  # report says what was missing.
  mkdir -p "$PROJECT/.airlock"
  printf '[profile]\nextends = ["default"]\n[enforcement]\nrequire = ["landlock>=99"]\nbest_effort = true\n' \
    > "$PROJECT/.airlock/weak.toml"
  [[ $who == root ]] || chown -R $NOBODY:$NOBODY "$PROJECT/.airlock"
  trust
  run --profile weak --report "$out/weak.json" -- true
  expect_eq "$who: report of a best-effort run is valid" "" "$(validate "$out/weak.json")"
  expect_eq "$who: best effort and incomplete" "true false" \
    "$(field "$out/weak.json" '["best_effort"]') $(field "$out/weak.json" '["complete"]')"
  expect_contains "$who: the missing requirement is named" "$(field "$out/weak.json" '["missing"]')" "landlock>=99"
  expect_contains "$who: the chain names the project's profile" "$(field "$out/weak.json" '["profile"]["chain"]')" \
    "$PROJECT/.airlock/weak.toml"

  # The same requirement without best effort: refused, nothing runs, and
  # the report says why.
  printf '[profile]\nextends = ["default"]\n[enforcement]\nrequire = ["landlock>=99"]\n' > "$PROJECT/.airlock/strict.toml"
  [[ $who == root ]] || chown -R $NOBODY:$NOBODY "$PROJECT/.airlock"
  trust
  run --profile strict --report "$out/refused.json" -- sh -c 'echo ran > refused-marker'
  expect_eq "$who: report of a refused run is valid" "" "$(validate "$out/refused.json")"
  expect_eq "$who: refused: 125, incomplete, not best effort" "125 false false" \
    "$(field "$out/refused.json" '["result"]["exit_status"]') $(field "$out/refused.json" '["complete"]') $(field "$out/refused.json" '["best_effort"]')"
  expect_contains "$who: the refusal is the set-up error" "$(field "$out/refused.json" '["result"]["setup_error"]')" \
    'refusing to run: the profile cannot be fully enforced here'
  [[ ! -e $PROJECT/refused-marker ]]; expect_eq "$who: the refused command did not run" 0 $?
done

# The schema is strict enough to catch a report that drifted from it.
"$PYTHON" - "$SCRATCH/root/reports/ok.json" "$SCRATCH" <<'EOF'
import json, sys
report = json.load(open(sys.argv[1]))
def write(name, doc):
    json.dump(doc, open("%s/%s.json" % (sys.argv[2], name), "w"))
write("extra", dict(report, undocumented=1))
write("v2", dict(report, version=2))
write("badtype", dict(report, result=dict(report["result"], exit_status="0")))
write("nolayers", {k: v for k, v in report.items() if k != "layers"})
EOF
for bad in extra v2 badtype nolayers; do
  errors=$(validate "$SCRATCH/$bad.json")
  if [[ -n $errors ]]; then pass "the schema rejects a report with $bad"; else fail "the schema accepts a report with $bad"; fi
done

# --log-format json: every line airlock writes to stderr is one JSON object.
# Messages with quotes, a newline and non-ASCII bytes are escaped, not split.
make_fixture root
logs="$SCRATCH/logs"
(cd "$PROJECT" && env HOME="$FAKE_HOME" PATH=/usr/bin:/bin FOO_TOKEN=x "$AIRLOCK" --log-format json -vv run -- true) 2> "$logs"
(cd "$PROJECT" && "$AIRLOCK" --log-format json run --profile no-such-profile -- true) 2>> "$logs"
(cd "$PROJECT" && "$AIRLOCK" --log-format json run --allow-read $'/no/such/"quoted"\nline\xff' -- true) 2>> "$logs"
(cd "$PROJECT" && "$AIRLOCK" --log-format json run -- no-such-command-xyz) 2>> "$logs"
(cd "$PROJECT" && "$AIRLOCK" --log-format json run --timeout 200ms -- sleep 10) 2>> "$logs"
expect_eq "json logs: every stderr line is one JSON object" "" "$("$PYTHON" - "$logs" <<'EOF'
import json, sys
lines = open(sys.argv[1], "rb").read().split(b"\n")
if lines and lines[-1] == b"":
    lines.pop()
if len(lines) < 5:
    print("only %d lines" % len(lines))
for number, raw in enumerate(lines, 1):
    try:
        obj = json.loads(raw)
    except ValueError as e:
        print("line %d is not JSON (%s): %r" % (number, e, raw))
        continue
    if not isinstance(obj, dict):
        print("line %d is not an object: %r" % (number, raw))
    elif set(obj) != {"time", "level", "source", "message"}:
        print("line %d has keys %s" % (number, sorted(obj)))
    elif not (isinstance(obj["time"], (int, float)) and obj["level"] in
              ("trace", "debug", "info", "warning", "error", "critical") and obj["source"] == "airlock"
              and isinstance(obj["message"], str) and obj["message"]):
        print("line %d has unexpected values: %r" % (number, obj))
EOF
)"
log_text=$(cat "$logs")
expect_contains "json logs: the dropped secret name is logged at info" "$log_text" '"level":"info"'
expect_contains "json logs: the unknown profile is an error" "$log_text" 'no profile named \"no-such-profile\"'
expect_contains "json logs: a newline in a message is escaped" "$log_text" '\"quoted\"\nline'
expect_contains "json logs: the timeout is logged" "$log_text" "timed out"
finish
