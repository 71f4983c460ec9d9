# shellcheck shell=bash disable=SC2034 # RC, OUT, ERR, BASE_PATH are for the sourcing script
# Shared by the test_container_*.sh scripts, after lib.sh: the engine
# emulation (integration/engines.sh) installed in the scratch directory, and
# how to run a command in it.

[[ $(id -u) == 0 ]] || skip "emulating an engine needs root"
install -m 755 "$AIRLOCK_SRC/integration/engines.sh" "$AIRLOCK_SRC/integration/engine_seccomp.py" \
  "$AIRLOCK_SRC/integration/engine_userns.py" "$SCRATCH/"
install -m 644 "$AIRLOCK_SRC/packaging/container/seccomp-airlock.json" "$SCRATCH/"
export AIRLOCK_SECCOMP_JSON="$SCRATCH/seccomp-airlock.json"
ENGINES="$SCRATCH/engines.sh"
BASE_PATH=/usr/bin:/bin

# in_engine ENGINE WHO DIR [NAME=VALUE...] -- CMD...: CMD in DIR under
# ENGINE's defaults, as the container's root (WHO=root) or as its uid 65534,
# which the engine switches to, with HOME=$FAKE_HOME, PATH=$BASE_PATH,
# LANG=C.UTF-8 and nothing else of this shell's environment (NAME=VALUE adds
# or overrides). Sets RC, OUT and ERR.
in_engine() {
  local engine=$1 who=$2 dir=$3 user=() vars=()
  shift 3
  while [[ $1 != -- ]]; do vars+=("$1"); shift; done
  shift
  [[ $who == root ]] || user=(--user "$NOBODY")
  (cd "$dir" && timeout -k 5 120 "$ENGINES" "$engine" "${user[@]}" -- env -i HOME="$FAKE_HOME" PATH="$BASE_PATH" \
     LANG=C.UTF-8 "${vars[@]}" "$@") >"$SCRATCH/step.out" 2>"$SCRATCH/step.err" </dev/null
  RC=$?
  OUT=$(<"$SCRATCH/step.out")
  ERR=$(<"$SCRATCH/step.err")
}

# The layers doctor says it cannot enforce, and the ones a refusal lists.
doctor_missing() { sed -n 's/^  NOT ENFORCED \([^:]*\):.*/\1/p' <<<"$1" | sort; }
refusal_missing() { sed -n 's/^ *- \([^:"]*\):.*/\1/p' <<<"$1" | sort; }

# What a command prints of the walls around it: the home's planted secrets
# (make_fixture), a write to the home and to the project, the token
# variable, its capabilities and its uid. expect_walls checks the output.
WALLS_PROBE='for f in "$HOME/.ssh/id_rsa" "$HOME/.npmrc" "$HOME/.aws/credentials"; do
  if cat "$f" >/dev/null 2>&1; then echo "read $f"; else echo "unread $f"; fi
done
if echo x 2>/dev/null >"$HOME/planted"; then echo "wrote home"; else echo "home read-only"; fi
if echo x 2>/dev/null >built.txt; then echo "wrote project"; fi
echo "token [${NPM_TOKEN:-}]"
grep "^CapEff" /proc/self/status
echo "uid $(id -u)"'

# expect_walls WHAT UID: $OUT, from WALLS_PROBE run with NPM_TOKEN set, says
# every wall held and the command ran as UID.
expect_walls() {
  local what=$1 uid=$2 f
  for f in .ssh/id_rsa .npmrc .aws/credentials; do
    expect_contains "$what: ~/$f stays unread" "$OUT" "unread $FAKE_HOME/$f"
  done
  expect_contains "$what: nothing is written outside the project" "$OUT" "home read-only"
  expect_contains "$what: the project is writable" "$OUT" "wrote project"
  expect_contains "$what: the token variable is scrubbed" "$OUT" "token []"
  expect_contains "$what: no capability is left" "$OUT" "CapEff:	0000000000000000"
  expect_contains "$what: the command runs as uid $uid" "$OUT" "uid $uid"
  [[ ! -e $FAKE_HOME/planted ]] && pass "$what: nothing planted in the home" || fail "$what: $FAKE_HOME/planted exists"
}
