#!/usr/bin/env bash
# Under Docker's defaults (issue #19), emulated by integration/engines.sh
# docker on a plain host: runc's /proc masks, Docker's default capability
# set and Docker's default seccomp profile (from its JSON), which refuses
# user namespaces. As root and as a non-root USER (uid 65534):
#   - `run` refuses with 125, naming user namespaces and the narrow fix (the
#     seccomp profile in packaging/container/, not seccomp=unconfined);
#   - `doctor` predicts it: the layers it says cannot be enforced are the
#     ones the refusal lists;
#   - `--best-effort` runs, and Landlock, seccomp, the environment scrub,
#     the capability drop and (as root) the switch to process.user still
#     hold: the planted secrets stay unread, nothing is written outside the
#     project, the token variable is gone, no capability is left, and a
#     namespace stays refused.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

# shellcheck source=container_lib.sh
source "$(dirname "$0")/container_lib.sh"
[[ -r ${DOCKER_SECCOMP_JSON:-/usr/local/share/airlock-tests/docker-seccomp-default.json} ]] ||
  skip "Docker's default seccomp profile is not unpacked (bash packaging/deps.sh)"
/usr/bin/python3 -c 'import seccomp' 2>/dev/null || skip "python3-seccomp is not installed (bash packaging/deps.sh)"

PROBE="$WALLS_PROBE"'
if unshare -U true 2>/dev/null; then echo "userns made"; else echo "userns refused"; fi'

for WHO in root nobody; do
  make_fixture "$WHO"
  # The control: Docker's defaults refuse a user namespace here.
  in_engine docker "$WHO" "$PROJECT" -- unshare -U true
  [[ $RC != 0 ]] && pass "$WHO: control: the emulated Docker refuses user namespaces" ||
    fail "$WHO: control: unshare -U worked under the emulated Docker"

  in_engine docker "$WHO" "$PROJECT" -- "$AIRLOCK" doctor
  doctor=$OUT
  expect_contains "$WHO: doctor says user namespaces are refused" "$doctor" "MISS user namespaces"
  expect_contains "$WHO: doctor names the narrow fix" "$doctor" "seccomp-airlock.json"
  expect_contains "$WHO: doctor gives Docker's setting, as the docs do" "$doctor" \
    "  Docker: $("$AIRLOCK" doctor --containers | sed -n 's/^  Docker: //p')"
  expect_not_contains "$WHO: doctor does not advise seccomp=unconfined" "$doctor" "run with --security-opt seccomp=unconfined"

  in_engine docker "$WHO" "$PROJECT" -- "$AIRLOCK" -q run -- true
  expect_eq "$WHO: run refuses (125)" 125 "$RC"
  expect_contains "$WHO: the refusal names user namespaces" "$ERR" "user namespace"
  expect_contains "$WHO: the refusal names --best-effort" "$ERR" "--best-effort"
  expect_eq "$WHO: doctor predicts the refusal layer by layer" "$(doctor_missing "$doctor")" "$(refusal_missing "$ERR")"
  [[ -n $(doctor_missing "$doctor") ]] && pass "$WHO: doctor lists what is missing" || fail "$WHO: doctor lists nothing missing"

  profile=()
  if [[ $WHO == root ]]; then
    printf '[profile]\nextends = ["default"]\n\n[process]\nuser = "%s"\n' "$NOBODY" >"$SCRATCH/as-nobody.toml"
    chmod 644 "$SCRATCH/as-nobody.toml"
    chown -R "$NOBODY:$NOBODY" "$PROJECT"
    profile=(--profile "$SCRATCH/as-nobody.toml")
  fi
  in_engine docker "$WHO" "$PROJECT" NPM_TOKEN=npm_plantedtoken0123456789 -- \
    "$AIRLOCK" -q run --best-effort "${profile[@]}" -- sh -c "$PROBE"
  expect_eq "$WHO: --best-effort runs" 0 "$RC"
  [[ $RC == 0 ]] || echo "$ERR" | head -5
  expect_walls "$WHO: --best-effort" "$NOBODY"
  expect_contains "$WHO: --best-effort: a namespace stays refused" "$OUT" "userns refused"
done
finish
