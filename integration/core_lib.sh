# Helpers shared by integration/test_core_*.sh (source it after lib.sh).
# The "Sandbox core" checks: each attack runs the real binary as root and as
# uid 65534 and asserts that it failed for the right reason while the
# legitimate work of the same command succeeded.

# Skips (77) unless airlock can enforce every layer of the default profile
# for root and for uid 65534 here; the message is doctor's account of what is
# missing (user namespaces, Landlock, seccomp...).
require_full_sandbox() {
  local who report
  for who in root nobody; do
    if ! report=$(cd "$SCRATCH" && as_user "$who" "$AIRLOCK" doctor 2>&1); then
      skip "airlock cannot enforce the default profile as $who here: $(grep -v '^ok' <<<"$report" | tr '\n' ' ')"
    fi
  done
}

# require_commands NAME...: skips (77) naming the first tool that is missing.
require_commands() {
  local name
  for name in "$@"; do
    command -v "$name" >/dev/null || skip "$name is not installed"
  done
}

# Every run gets the fixture's home, a plain PATH (the sandbox resolves the
# command with it) and a LANG that the default profile keeps.
run_env() { RUN_ENV=("HOME=$FAKE_HOME" PATH=/usr/bin:/bin LANG=C.UTF-8); }

# sandbox WHO [VAR=value...] ARGS...: `airlock -q run ARGS` as WHO from the
# fixture's project; VAR=value words before the arguments are added to the
# environment airlock starts with.
sandbox() {
  local who=$1; shift
  local -a vars=()
  while [[ $# -gt 0 && $1 =~ ^[A-Za-z_][A-Za-z0-9_]*= ]]; do vars+=("$1"); shift; done
  run_env
  (cd "$PROJECT" && as_user "$who" env "${RUN_ENV[@]}" "${vars[@]}" "$AIRLOCK" -q run "$@")
}

# sandbox_bg WHO OUTFILE ARGS...: as sandbox, in the background, stdout and
# stderr to OUTFILE. BG_PID is the airlock process itself: every wrapper
# execs. SIGINT and SIGQUIT are reset to their defaults, because bash starts
# the background jobs of a script with them ignored, and an ignored signal
# never reaches airlock's signalfd.
sandbox_bg() {
  local who=$1 out=$2; shift 2
  local -a user=()
  [[ $who == root ]] || user=(setpriv "--reuid=$NOBODY" "--regid=$NOBODY" --clear-groups)
  run_env
  (cd "$PROJECT" && exec "${user[@]}" env --default-signal=INT,QUIT "${RUN_ENV[@]}" "$AIRLOCK" -q run "$@" >"$out" 2>&1) &
  BG_PID=$!
}

# wait_until SECONDS CMD...: polls CMD every 50 ms; false if it never held.
wait_until() {
  local deadline=$((SECONDS + $1)); shift
  until "$@"; do
    ((SECONDS >= deadline)) && return 1
    sleep 0.05
  done
}

# Processes whose command line is exactly "sleep ARG" (a unique marker).
marker_pids() { pgrep -x -f "sleep $1"; }
no_marker() { ! marker_pids "$1" >/dev/null; }
# How many processes of a marker run, as a condition wait_until can poll
# (a `test "$(...)"` would count once, before the first poll).
marker_count_at_least() { (($(marker_pids "$1" | wc -l) >= $2)); }
marker_count_is() { (($(marker_pids "$1" | wc -l) == $2)); }

# What a run could leave behind on the host: mounts, airlock processes (lib.sh's
# host_state) and new entries of /tmp and /var/tmp. On a shared machine other
# programs (and other test runs, whatever they name their files) create
# entries there at any time as root, so an entry counts only when it is
# airlock's beyond doubt: created by uid 65534. A leak in the code shows in
# the unprivileged run as well as in the root run; for the root run, the
# mounts and processes are compared. The scratch directories of test scripts
# and unit tests (airlock-it.*, airlock-test.*) are not the binary's.
host_leftovers() {
  {
    host_state
    find /tmp /var/tmp -mindepth 1 -maxdepth 1 -uid "$NOBODY" ! -name 'airlock-it.*' ! -name 'airlock-test.*'
  } 2>/dev/null | sort
}

# expect_nothing_left WHAT BEFORE: nothing in host_leftovers that was not in
# BEFORE. Entries that appear are looked at twice, two seconds apart, so that
# a short-lived file of an unrelated program is not blamed on airlock.
expect_nothing_left() {
  local what=$1 before=$2 added
  added=$(comm -13 <(echo "$before") <(host_leftovers))
  if [[ -n $added ]]; then
    sleep 2
    added=$(comm -12 <(echo "$added") <(comm -13 <(echo "$before") <(host_leftovers)))
  fi
  if [[ -z $added ]]; then pass "$what"; else fail "$what: left behind: $(echo "$added" | tr '\n' ' ')"; fi
}

# expect_match WHAT TEXT REGEX (extended regular expression)
expect_match() {
  if [[ $2 =~ $3 ]]; then pass "$1"; else fail "$1: /$3/ does not match: $2"; fi
}

# expect_denied WHAT OUTPUT SECRET: the attempt printed a refusal of the
# filesystem layers (hidden: no such file / empty; Landlock or a read-only
# mount: permission denied) and not the secret.
expect_denied() {
  expect_not_contains "$1: secret not read" "$2" "$3"
  expect_match "$1: refused by the sandbox" "$2" "No such file or directory|Permission denied|EMPTY"
}

# A random GitHub-classic-shaped token: ghp_ + 36 letters and digits.
make_github_token() {
  local body
  body=$(tr -dc 'A-Za-z0-9' </dev/urandom 2>/dev/null | head -c 36)
  echo "ghp_$body"
}
