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

[[ $(id -u) == 0 ]] || skip "emulating an engine needs root"
[[ -r ${DOCKER_SECCOMP_JSON:-/usr/local/share/airlock-tests/docker-seccomp-default.json} ]] ||
  skip "Docker's default seccomp profile is not unpacked (bash packaging/deps.sh)"
/usr/bin/python3 -c 'import seccomp' 2>/dev/null || skip "python3-seccomp is not installed (bash packaging/deps.sh)"
here="$(cd "$(dirname "$0")" && pwd)"
install -m 755 "$here/engines.sh" "$here/engine_seccomp.py" "$SCRATCH/"
ENGINES="$SCRATCH/engines.sh"
BASE_PATH=/usr/bin:/bin

# in_docker WHO DIR [NAME=VALUE...] -- CMD...: CMD as WHO in DIR under
# Docker's defaults with a clean environment. Sets RC, OUT and ERR.
in_docker() {
  local who=$1 dir=$2 user=() vars=()
  shift 2
  while [[ $1 != -- ]]; do vars+=("$1"); shift; done
  shift
  [[ $who == root ]] || user=(setpriv --reuid="$NOBODY" --regid="$NOBODY" --clear-groups)
  (cd "$dir" && timeout -k 5 120 "$ENGINES" docker -- "${user[@]}" env -i HOME="$FAKE_HOME" PATH="$BASE_PATH" \
     LANG=C.UTF-8 "${vars[@]}" "$@") >"$SCRATCH/step.out" 2>"$SCRATCH/step.err" </dev/null
  RC=$?
  OUT=$(<"$SCRATCH/step.out")
  ERR=$(<"$SCRATCH/step.err")
}

# The layers doctor says it cannot enforce, and the ones a refusal lists.
doctor_missing() { sed -n 's/^  NOT ENFORCED \([^:]*\):.*/\1/p' <<<"$1" | sort; }
refusal_missing() { sed -n 's/^ *- \([^:"]*\):.*/\1/p' <<<"$1" | sort; }

PROBE='for f in "$HOME/.ssh/id_rsa" "$HOME/.npmrc" "$HOME/.aws/credentials"; do
  if cat "$f" >/dev/null 2>&1; then echo "read $f"; else echo "unread $f"; fi
done
if echo x 2>/dev/null >"$HOME/planted"; then echo "wrote home"; else echo "home read-only"; fi
if echo x 2>/dev/null >built.txt; then echo "wrote project"; fi
echo "token [${NPM_TOKEN:-}]"
grep "^CapEff" /proc/self/status
if unshare -U true 2>/dev/null; then echo "userns made"; else echo "userns refused"; fi
echo "uid $(id -u)"'

for WHO in root nobody; do
  make_fixture "$WHO"
  # The control: Docker's defaults refuse a user namespace here.
  in_docker "$WHO" "$PROJECT" -- unshare -U true
  [[ $RC != 0 ]] && pass "$WHO: control: the emulated Docker refuses user namespaces" ||
    fail "$WHO: control: unshare -U worked under the emulated Docker"

  in_docker "$WHO" "$PROJECT" -- "$AIRLOCK" doctor
  doctor=$OUT
  expect_contains "$WHO: doctor says user namespaces are refused" "$doctor" "MISS user namespaces"
  expect_contains "$WHO: doctor names the narrow fix" "$doctor" "seccomp-airlock.json"
  expect_contains "$WHO: doctor gives Docker's setting, as the docs do" "$doctor" \
    "  Docker: $("$AIRLOCK" doctor --containers | sed -n 's/^  Docker: //p')"
  expect_not_contains "$WHO: doctor does not advise seccomp=unconfined" "$doctor" "run with --security-opt seccomp=unconfined"

  in_docker "$WHO" "$PROJECT" -- "$AIRLOCK" -q run -- true
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
  in_docker "$WHO" "$PROJECT" NPM_TOKEN=npm_plantedtoken0123456789 -- \
    "$AIRLOCK" -q run --best-effort "${profile[@]}" -- sh -c "$PROBE"
  expect_eq "$WHO: --best-effort runs" 0 "$RC"
  [[ $RC == 0 ]] || echo "$ERR" | head -5
  for f in .ssh/id_rsa .npmrc .aws/credentials; do
    expect_contains "$WHO: --best-effort: ~/$f stays unread (Landlock)" "$OUT" "unread $FAKE_HOME/$f"
  done
  expect_contains "$WHO: --best-effort: nothing is written outside the project" "$OUT" "home read-only"
  expect_contains "$WHO: --best-effort: the project is writable" "$OUT" "wrote project"
  expect_contains "$WHO: --best-effort: the token variable is scrubbed" "$OUT" "token []"
  expect_contains "$WHO: --best-effort: no capability is left" "$OUT" "CapEff:	0000000000000000"
  expect_contains "$WHO: --best-effort: a namespace stays refused" "$OUT" "userns refused"
  expect_contains "$WHO: --best-effort: the command runs as uid 65534" "$OUT" "uid $NOBODY"
  [[ ! -e $FAKE_HOME/planted ]] && pass "$WHO: nothing planted in the home" || fail "$WHO: $FAKE_HOME/planted exists"
done
finish
