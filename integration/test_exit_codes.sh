#!/usr/bin/env bash
# ctest-labels: sanitize
# Exit statuses follow DESIGN.md: the command's own, 128+N, 124, 125, 126, 127;
# as root and as uid 65534.
source "$(dirname "$0")/lib.sh"

for who in root nobody; do
  make_fixture "$who"
  run() { (cd "$PROJECT" && as_user "$who" env HOME="$FAKE_HOME" PATH=/usr/bin:/bin "$AIRLOCK" -q run "$@"); }
  run -- sh -c 'exit 7' 2>/dev/null;                 expect_eq "$who: command's own status" 7 $?
  run -- true;                                        expect_eq "$who: success" 0 $?
  run -- sh -c 'kill -TERM $$' 2>/dev/null;           expect_eq "$who: killed by SIGTERM is 143" 143 $?
  run -- no-such-command-xyz 2>/dev/null;             expect_eq "$who: not found is 127" 127 $?
  run -- /etc/hostname 2>/dev/null;                   expect_eq "$who: not executable is 126" 126 $?
  run --timeout 500ms -- sleep 30 2>/dev/null;        expect_eq "$who: timeout is 124" 124 $?
  run --profile no-such-profile -- true 2>/dev/null;  expect_eq "$who: bad profile is 125" 125 $?
  run --allow-read /no/such/path -- true 2>/dev/null; expect_eq "$who: missing path is 125" 125 $?
  err=$(run --allow-read /no/such/path -- true 2>&1)
  expect_contains "$who: missing path is named" "$err" "/no/such/path"

  # The command without `--`: it starts at the first word that is neither an
  # option nor an option's value, and keeps its own options and `--`.
  out=$(run echo hi -a -- b 2>&1);                    expect_eq "$who: a command without -- keeps its options" "hi -a -- b" "$out"
  run --best-effort --timeout 5s sh -c 'exit 3' 2>/dev/null
  expect_eq "$who: flags and valued options before a command without --" 3 $?
  out=$(run --timeout=5s -p default echo x 2>&1);  expect_eq "$who: --opt=value and -p value before the command" x "$out"
  err=$(run --no-such-option echo x 2>&1);            expect_eq "$who: an unknown option is 125" 125 $?
  expect_contains "$who: the unknown option is named" "$err" "--no-such-option"
  err=$(run 2>&1);                                    expect_eq "$who: no command is 125" 125 $?
  expect_contains "$who: no command is said" "$err" "no command given"
  (cd "$PROJECT" && as_user "$who" env HOME="$FAKE_HOME" PATH=/usr/bin:/bin "$AIRLOCK" -q audit -o "$SCRATCH/$who/a.toml" true)
  expect_eq "$who: audit without --" 0 $?
done
# One `check` lists every error of a profile, in line order, each misspelt
# name with the one it was probably meant to be.
printf '[profile]\nextends = ["defualt"]\n[network]\nmode = "nope"\n[filesystem]\nreed = ["/usr"]\n[proces]\nuser = "x"\n' \
  >"$SCRATCH/bad.toml"
err=$("$AIRLOCK" check "$SCRATCH/bad.toml" 2>&1 >/dev/null)
expect_eq "check: a bad profile is 125" 125 $?
expect_eq "check: every error at once, in line order" "2 4 6 7" \
  "$(sed -n "s|^$SCRATCH/bad.toml:\([0-9]*\):.*|\1|p" <<<"$err" | tr '\n' ' ' | sed 's/ $//')"
expect_contains "check: a misspelt profile name gets a suggestion" "$err" 'named "defualt" (did you mean "default"?)'
expect_contains "check: a misspelt key gets a suggestion" "$err" 'filesystem.reed: unknown key (did you mean "read"?)'
expect_contains "check: a misspelt section gets a suggestion" "$err" 'unknown section [proces] (did you mean "process"?)'
err=$("$AIRLOCK" -q run -p npm-cl -- true 2>&1)
expect_contains "run: a misspelt profile name gets a suggestion" "$err" '(did you mean "npm-ci"?)'
expect_contains "run --help shows the command in its usage line" "$("$AIRLOCK" run --help)" "Usage: airlock run [OPTIONS] [COMMAND...]"
expect_contains "audit --help shows the command in its usage line" "$("$AIRLOCK" audit --help)" "[COMMAND...]"
finish
