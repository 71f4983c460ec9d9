#!/usr/bin/env bash
# `enforcement.require` (DESIGN.md principle 1, fail closed): a profile that
# needs a newer Landlock than this kernel has is refused (125) with the
# requirement and where it was written; --best-effort (or
# enforcement.best_effort = true) runs it and says what is missing; doctor,
# explain and the run report say the same, the refused run's report too.
# As root and as uid 65534.
source "$(dirname "$0")/lib.sh"

abi=$("$AIRLOCK" doctor 2>/dev/null | sed -n 's/^ok   landlock: ABI \([0-9]*\).*/\1/p')
[[ -n $abi ]] || skip "Landlock is not available"
TOO_NEW="landlock>=$((abi + 1))"   # landlock>=8 on an ABI 7 kernel

# write_profile FILE REQUIREMENT [BEST_EFFORT]: `require` is on line 6.
write_profile() {
  cat > "$1" <<EOF
[profile]
description = "needs $2"
extends = ["default"]

[enforcement]
require = ["$2"]
best_effort = ${3:-false}
EOF
  chmod 644 "$1"
}

# airlock_as_who ARGS...: airlock as $who from the project. Sets OUT, ERR, RC.
airlock_as_who() {
  local err_file="$SCRATCH/$who/stderr"
  OUT=$(cd "$PROJECT" && as_user "$who" env HOME="$FAKE_HOME" PATH=/usr/bin:/bin "$AIRLOCK" "$@" 2>"$err_file")
  RC=$?
  ERR=$(cat "$err_file")
}

check_refused() {
  local report="$SCRATCH/$who/refused.json"
  airlock_as_who run --report "$report" --profile "$TOO_NEW_PROFILE" -- sh -c 'echo ran > marker'
  expect_eq "$who: $TOO_NEW on ABI $abi: refused with 125" 125 "$RC"
  # The refusal leaves its report: a CI job uploads it to learn why.
  expect_eq "$who: the refused run's report says why" "125 False True" "$(python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
print(r["result"]["exit_status"], r["complete"], sys.argv[2] in r["result"]["setup_error"] and sys.argv[2] in " ".join(r["missing"]))
' "$report" "required \"$TOO_NEW\"" 2>&1)"
  expect_contains "$who: the refusal names the requirement" "$ERR" "required \"$TOO_NEW\""
  expect_contains "$who: the refusal names where it was written" "$ERR" "$TOO_NEW_PROFILE:6:"
  expect_contains "$who: the refusal says what this kernel has" "$ERR" "Landlock ABI $abi"
  expect_contains "$who: the refusal names --best-effort" "$ERR" "--best-effort"
  [[ ! -e $PROJECT/marker ]]; expect_eq "$who: nothing ran" 0 $?
}

check_best_effort_flag() {
  airlock_as_who run --best-effort --report "$SCRATCH/$who/report.json" --profile "$TOO_NEW_PROFILE" \
    -- sh -c 'echo ran > marker'
  expect_eq "$who: --best-effort runs it" 0 "$RC"
  expect_eq "$who: the command ran" ran "$(cat "$PROJECT/marker" 2>/dev/null)"
  expect_contains "$who: --best-effort says what is not met" "$ERR" "best effort: NOT enforced: required \"$TOO_NEW\""
  local report
  report=$(cat "$SCRATCH/$who/report.json" 2>/dev/null)
  expect_contains "$who: the report says the run was incomplete" "$report" '"complete": false'
  expect_contains "$who: the report names the requirement" "$report" "required \\\"$TOO_NEW\\\""
  rm -f "$PROJECT/marker"
}

check_best_effort_in_profile() {
  airlock_as_who run --profile "$BEST_EFFORT_PROFILE" -- true
  expect_eq "$who: enforcement.best_effort = true runs it" 0 "$RC"
  expect_contains "$who: and says what is not met" "$ERR" "NOT enforced: required \"$TOO_NEW\""
}

check_met_requirement_runs() {
  airlock_as_who run --profile "$MET_PROFILE" -- true
  expect_eq "$who: control: landlock>=$abi is met and runs" 0 "$RC"
  expect_not_contains "$who: control: no warning" "$ERR" "best effort"
}

check_doctor_and_explain() {
  airlock_as_who doctor --profile "$TOO_NEW_PROFILE"
  expect_eq "$who: doctor exits 125" 125 "$RC"
  expect_contains "$who: doctor names the unmet requirement" "$OUT" "NOT MET      required \"$TOO_NEW\" ($TOO_NEW_PROFILE:6:"
  airlock_as_who explain --profile "$TOO_NEW_PROFILE"
  expect_eq "$who: explain exits 0" 0 "$RC"
  expect_contains "$who: explain names the unmet requirement" "$OUT" "#   NOT met       required \"$TOO_NEW\""
  expect_contains "$who: explain says run will refuse" "$OUT" "refuses this profile here unless --best-effort"
}

for who in root nobody; do
  make_fixture "$who"
  TOO_NEW_PROFILE="$SCRATCH/$who/too-new.toml"
  BEST_EFFORT_PROFILE="$SCRATCH/$who/too-new-best-effort.toml"
  MET_PROFILE="$SCRATCH/$who/met.toml"
  write_profile "$TOO_NEW_PROFILE" "$TOO_NEW"
  write_profile "$BEST_EFFORT_PROFILE" "$TOO_NEW" true
  write_profile "$MET_PROFILE" "landlock>=$abi"
  check_refused
  check_best_effort_flag
  check_best_effort_in_profile
  check_met_requirement_runs
  check_doctor_and_explain
done
finish
