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
done
finish
