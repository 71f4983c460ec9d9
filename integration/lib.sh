# Shared helpers for integration/test_*.sh. Each test script is run by CTest
# as `bash integration/test_X.sh /path/to/airlock BUILD_DIR` and exits 0
# (pass), 1 (fail) or 77 (skip: a kernel feature is missing, named).
set -uo pipefail

AIRLOCK_SRC=${AIRLOCK_SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
AIRLOCK_IN=${1:?usage: test_X.sh AIRLOCK_BINARY [BUILD_DIR]}
BUILD_DIR=${2:-$(dirname "$AIRLOCK_IN")}
FAILURES=0
CHECKS=0

# Everything a test needs lives under one world-readable scratch directory
# outside /tmp (a sandbox's /tmp is private) that uid 65534 can enter even
# when the checkout sits under a directory it cannot; removed at exit.
SCRATCH=$(mktemp -d /var/tmp/airlock-it.XXXXXX)
chmod 755 "$SCRATCH"
install -m 755 "$AIRLOCK_IN" "$SCRATCH/airlock"
AIRLOCK="$SCRATCH/airlock"
NOBODY=65534

cleanup_scratch() {
  # Processes a failed test may have left: anything still running from the scratch dir.
  pkill -KILL -f "$SCRATCH" 2>/dev/null || true
  rm -rf "$SCRATCH"
}
trap cleanup_scratch EXIT

pass() { CHECKS=$((CHECKS + 1)); printf 'ok   %s\n' "$*"; }
fail() { CHECKS=$((CHECKS + 1)); FAILURES=$((FAILURES + 1)); printf 'FAIL %s\n' "$*"; }
skip() { printf 'SKIP %s\n' "$*"; exit 77; }

# expect_eq WHAT EXPECTED ACTUAL
expect_eq() {
  if [[ "$2" == "$3" ]]; then pass "$1"; else fail "$1: expected [$2], got [$3]"; fi
}
# expect_contains WHAT HAYSTACK NEEDLE
expect_contains() {
  if [[ "$2" == *"$3"* ]]; then pass "$1"; else fail "$1: [$3] not found in: $2"; fi
}
expect_not_contains() {
  if [[ "$2" != *"$3"* ]]; then pass "$1"; else fail "$1: [$3] unexpectedly found in: $2"; fi
}

# probe_result OUTPUT NAME: the result try-syscall printed for NAME
# ("errno=EPERM", "signal=SIGSYS", "ok"). Leading blanks are dropped: under
# a terminal, an injected character may be echoed before the line.
probe_result() { sed -n "s/^[[:space:]]*$2 //p" <<<"$1" | tr -d '\r' | head -1; }

# expect_probe WHAT CONTROL SANDBOXED NAME EXPECTED: try-syscall printed
# EXPECTED for NAME in the sandbox. CONTROL is the same probe's output where
# the layer under test is absent: when it gives EXPECTED too, the kernel
# refuses the call anyway (a sysctl, a missing capability) and the line
# proves nothing about the layer; that is said, and is not a failure.
expect_probe() {
  local what=$1 control sandboxed
  control=$(probe_result "$2" "$4")
  sandboxed=$(probe_result "$3" "$4")
  expect_eq "$what: $4" "$5" "$sandboxed"
  if [[ $control == "$5" ]]; then
    printf 'note %s: %s gives %s without the layer too; not evidence of the layer\n' "$what" "$4" "$5"
  fi
}

# as_user USER CMD...: run as root (USER=root) or as uid 65534 with no groups.
as_user() {
  local who=$1; shift
  if [[ $who == root ]]; then "$@"; else setpriv --reuid=$NOBODY --regid=$NOBODY --clear-groups "$@"; fi
}

# as_step SECONDS DIR [NAME=VALUE...] -- CMD...: CMD as $WHO in DIR with
# HOME=$FAKE_HOME, PATH=$BASE_PATH, LANG=C.UTF-8 and nothing else of this
# shell's environment (NAME=VALUE adds or overrides), killed after SECONDS.
# Sets RC, OUT and ERR.
as_step() {
  local seconds=$1 dir=$2 vars=()
  shift 2
  while [[ $1 != -- ]]; do vars+=("$1"); shift; done
  shift
  (cd "$dir" && as_user "$WHO" timeout -k 5 "$seconds" env -i HOME="$FAKE_HOME" PATH="$BASE_PATH" LANG=C.UTF-8 \
     "${vars[@]}" "$@") >"$SCRATCH/step.out" 2>"$SCRATCH/step.err" </dev/null
  RC=$?
  OUT=$(<"$SCRATCH/step.out")
  ERR=$(<"$SCRATCH/step.err")
}

# A project directory and a home full of planted secrets, owned by the user.
# Sets PROJECT and FAKE_HOME.
make_fixture() {
  local who=$1
  PROJECT="$SCRATCH/$who/project"
  FAKE_HOME="$SCRATCH/$who/home"
  mkdir -p "$PROJECT/src" "$FAKE_HOME/.ssh" "$FAKE_HOME/.aws" "$FAKE_HOME/.config/gh"
  echo "int main(void) { return 0; }" > "$PROJECT/src/main.c"
  echo "-----BEGIN OPENSSH PRIVATE KEY----- planted-ssh-key" > "$FAKE_HOME/.ssh/id_rsa"
  echo "//registry/:_authToken=planted-npmrc-token" > "$FAKE_HOME/.npmrc"
  printf '[default]\naws_secret_access_key = planted-aws-secret\n' > "$FAKE_HOME/.aws/credentials"
  echo "oauth_token: planted-gh-token" > "$FAKE_HOME/.config/gh/hosts.yml"
  chmod -R go-rwx "$FAKE_HOME"
  chmod 755 "$SCRATCH/$who"
  [[ $who == root ]] || chown -R $NOBODY:$NOBODY "$SCRATCH/$who"
}

# The mounts and airlock processes that exist now, to compare after runs.
# Mounts under another test's scratch directory are that test's (ctest runs
# tests in parallel; test_hardening mounts a tmpfs in its own), not this one's.
host_state() {
  { awk -v own="$SCRATCH" '$5 !~ "^/var/tmp/airlock-it\\." || index($5, own) == 1 {print $5}' /proc/self/mountinfo | sort
    pgrep -f "$SCRATCH/airlock" | sort; } 2>/dev/null
}

finish() {
  echo "$CHECKS checks, $FAILURES failed"
  [[ $FAILURES -eq 0 ]]
  exit $?
}
