#!/usr/bin/env bash
# Sandbox core, secrets: a build step tries to steal the credentials of the
# user who runs it (files in the home directory, a mounted secret, tokens in
# the environment, a descriptor the caller leaked) while doing its real work
# (reading the project). As root and as uid 65534.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/core_lib.sh"

# A mounted secret, as Docker and Kubernetes put them: made world-readable so
# that for uid 65534 too only the sandbox stands between it and the command.
RUN_SECRET=/run/secrets/test-secret
RUN_SECRET_MADE=0 RUN_SECRET_DIR_MADE=0
plant_run_secret() {
  [[ -e $RUN_SECRET ]] && skip "$RUN_SECRET already exists on this host; not touching it"
  if [[ ! -d /run/secrets ]]; then
    mkdir -m 755 /run/secrets && RUN_SECRET_DIR_MADE=1
  fi
  echo "planted-run-secret" >"$RUN_SECRET" && RUN_SECRET_MADE=1
  chmod 644 "$RUN_SECRET"
}
remove_run_secret() {
  if [[ $RUN_SECRET_MADE == 1 ]]; then rm -f "$RUN_SECRET"; fi
  if [[ $RUN_SECRET_DIR_MADE == 1 ]]; then rmdir /run/secrets; fi
}
trap 'remove_run_secret; cleanup_scratch' EXIT

# Models: an install script reading ~/.ssh/id_rsa, ~/.npmrc,
# ~/.aws/credentials and /run/secrets/* in the same command that compiles
# the project. Hidden (empty / no such file) or refused by Landlock (EACCES)
# are both right; the project's source must still read.
attack_secret_files() {
  local who=$1 out
  # The planted files are readable by this user outside: the check below
  # would prove nothing otherwise.
  out=$(as_user "$who" cat "$FAKE_HOME/.ssh/id_rsa" "$FAKE_HOME/.npmrc" "$FAKE_HOME/.aws/credentials" "$RUN_SECRET")
  expect_eq "$who: control: the secrets are readable outside" 4 "$(grep -c planted <<<"$out")"

  out=$(sandbox "$who" -- sh -c '
    cat src/main.c
    for f in "$HOME/.ssh/id_rsa" "$HOME/.npmrc" "$HOME/.aws/credentials" /run/secrets/test-secret; do
      content=$(cat "$f" 2>&1) || true
      echo "$f: ${content:-EMPTY}"
    done' 2>&1)
  expect_contains "$who: the project's source reads" "$out" "int main(void)"
  local f
  for f in .ssh/id_rsa .npmrc .aws/credentials; do
    expect_denied "$who: ~/$f" "$(grep "^$FAKE_HOME/$f:" <<<"$out")" planted
  done
  expect_denied "$who: $RUN_SECRET" "$(grep "^$RUN_SECRET:" <<<"$out")" planted
  # Listing the directories must not reveal the files either.
  out=$(sandbox "$who" -- sh -c 'ls -A "$HOME/.ssh" /run/secrets 2>&1; true')
  expect_not_contains "$who: ~/.ssh lists nothing" "$out" "id_rsa"
  expect_not_contains "$who: /run/secrets lists nothing" "$out" "test-secret"
}

# Defence in depth (DESIGN.md principle 4): each filesystem layer alone
# still keeps the files out. Without the hides, Landlock refuses (EACCES),
# unless the mount layer hides the whole top-level directory the file is in
# because no rule covers it (ENOENT; the fixture's home is under /var, and
# so is /run/secrets under /run); Landlock with no mount layer at all is
# test_degraded_no_userns.sh's subject.
# Landlock also keeps hidden paths out of any granted parent, so the mount
# layer is checked with stat(2), which Landlock does not govern: what the
# sandbox sees at each path is the empty file or empty directory airlock put
# there (size 0 / no such file), not the secret.
attack_secret_files_one_layer() {
  # Profiles of the operator's, outside the project a step can write.
  local who=$1 out f profiles="$SCRATCH/$who/profiles"
  mkdir -p "$profiles" && chmod 755 "$profiles"
  printf '[profile]\nextends = ["default"]\n\n[filesystem]\nhide = ["!@secret-files"]\n' >"$profiles/no-hide.toml"
  printf '[profile]\nextends = ["default"]\n\n[filesystem]\nread = ["${home}", "/run"]\n' >"$profiles/read-home.toml"
  chmod 644 "$profiles/no-hide.toml" "$profiles/read-home.toml"
  local script='
    cat src/main.c
    for f in "$HOME/.ssh/id_rsa" "$HOME/.npmrc" "$HOME/.aws/credentials" /run/secrets/test-secret; do
      content=$(cat "$f" 2>&1) || true
      echo "$f: ${content:-EMPTY}"
    done'
  out=$(sandbox "$who" --profile "$profiles/no-hide.toml" -- sh -c "$script" 2>&1)
  expect_contains "$who: Landlock alone: the project's source reads" "$out" "int main(void)"
  for f in "$FAKE_HOME/.ssh/id_rsa" "$FAKE_HOME/.npmrc" "$FAKE_HOME/.aws/credentials" "$RUN_SECRET"; do
    expect_match "$who: without the hides $f is refused" "$(grep "^$f:" <<<"$out")" \
      "^$f: cat: $f: (Permission denied|No such file or directory)$"
  done
  local stat_script='
    cat src/main.c
    for f in "$HOME/.ssh/id_rsa" "$HOME/.npmrc" "$HOME/.aws/credentials" /run/secrets/test-secret; do
      echo "$f: $(stat -c "size=%s" "$f" 2>&1)"
    done'
  out=$(sandbox "$who" --profile "$profiles/read-home.toml" -- sh -c "$stat_script" 2>&1)
  expect_contains "$who: mounts alone: the project's source reads" "$out" "int main(void)"
  for f in "$FAKE_HOME/.ssh/id_rsa" "$FAKE_HOME/.npmrc" "$FAKE_HOME/.aws/credentials" "$RUN_SECRET"; do
    expect_match "$who: the mount layer alone hides $f" "$(grep "^$f:" <<<"$out")" "^$f: (size=0|stat: cannot statx? '$f': No such file or directory)$"
  done
}

# Models: CI tokens in the environment of the job. By name (GITHUB_TOKEN,
# NPM_TOKEN, AWS_SECRET_ACCESS_KEY) and by value (a variable the profile keeps
# whose value is a GitHub token). None may be visible inside; a normal kept
# variable (LANG) is; the run report names what was dropped, never a value.
attack_secret_env() {
  local who=$1
  local gh kept npm aws out report="$SCRATCH/$who/report.json" log
  gh=$(make_github_token)
  kept=$(make_github_token)
  npm="npm_$(make_github_token | cut -c5-)"
  aws="planted-aws-$RANDOM$RANDOM"
  out=$(sandbox "$who" GITHUB_TOKEN="$gh" NPM_TOKEN="$npm" AWS_SECRET_ACCESS_KEY="$aws" MYVAR="$kept" \
    --keep-env MYVAR --report "$report" -- sh -c 'env; echo "main: $(cat src/main.c)"' 2>&1)
  expect_contains "$who: the command ran" "$out" "main: int main(void)"
  expect_contains "$who: LANG is kept" "$out" "LANG=C.UTF-8"
  local name value
  for name in GITHUB_TOKEN NPM_TOKEN AWS_SECRET_ACCESS_KEY MYVAR; do
    expect_not_contains "$who: $name is not visible" "$out" "$name="
  done
  for value in "$gh" "$npm" "$aws" "$kept"; do
    expect_not_contains "$who: value ${value:0:6}... is nowhere inside" "$out" "$value"
  done
  local text
  text=$(cat "$report" 2>/dev/null)
  for name in GITHUB_TOKEN NPM_TOKEN AWS_SECRET_ACCESS_KEY MYVAR; do
    expect_contains "$who: the report lists $name as dropped" "$text" "\"name\": \"$name\""
  done
  for value in "$gh" "$npm" "$aws" "$kept"; do
    expect_not_contains "$who: the report never holds value ${value:0:6}..." "$text" "$value"
  done
  # airlock's own log on stderr (-v) names the dropped variables, not their values.
  run_env
  log=$(cd "$PROJECT" && as_user "$who" env "${RUN_ENV[@]}" GITHUB_TOKEN="$gh" MYVAR="$kept" \
    "$AIRLOCK" -v run --keep-env MYVAR -- true 2>&1 >/dev/null)
  expect_contains "$who: the log names the dropped MYVAR" "$log" "MYVAR"
  expect_not_contains "$who: the log never holds the value" "$log" "$kept"
}

# Models: reading the caller's environment through the sandbox's init, which
# was cloned from the supervisor and still has the caller's environment (with
# the token) in its memory. It is non-dumpable: /proc/1/environ is refused,
# while /proc/1/cmdline reads.
attack_init_environ() {
  local who=$1 gh out
  gh=$(make_github_token)
  out=$(sandbox "$who" GITHUB_TOKEN="$gh" -- sh -c '
    printf "cmdline: %s\n" "$(tr "\0" " " </proc/1/cmdline)"
    tr "\0" "\n" </proc/1/environ; head -c 64 /proc/1/mem; ls /proc/1/root/' 2>&1)
  expect_contains "$who: init's cmdline reads" "$out" "cmdline: $AIRLOCK"
  expect_not_contains "$who: init's environ gives nothing" "$out" "$gh"
  expect_match "$who: /proc/1/environ refused" "$out" "/proc/1/environ: Permission denied"
  expect_match "$who: /proc/1/mem refused" "$out" "/proc/1/mem'? (for reading)?: Permission denied"
  expect_match "$who: /proc/1/root refused" "$out" "/proc/1/root/.*Permission denied"
}

# Models: the shell that starts airlock holds a descriptor to a secret (fd 5).
# The command must not inherit it; with process.pass_fds = [5] in a profile
# the same fd is passed on purpose.
attack_inherited_fd() {
  # A profile of the operator's, outside the project a step can write.
  local who=$1 out profile="$SCRATCH/$who/profiles/pass-fd.toml"
  mkdir -p "${profile%/*}" && chmod 755 "${profile%/*}"
  run_env
  out=$(cd "$PROJECT" && as_user "$who" env "${RUN_ENV[@]}" "$AIRLOCK" -q run -- sh -c '
    cat src/main.c; cat <&5; readlink /proc/self/fd/5; echo "fds: $(ls /proc/self/fd | tr "\n" " ")"' \
    5<"$FAKE_HOME/.ssh/id_rsa" 2>&1)
  expect_contains "$who: the project's source reads" "$out" "int main(void)"
  expect_not_contains "$who: fd 5 gives nothing" "$out" "planted-ssh-key"
  expect_match "$who: fd 5 is closed" "$out" "5: Bad file descriptor"
  expect_match "$who: /proc/self/fd/5 does not exist" "$out" "readlink: .*/proc/self/fd/5.*|fds: 0 1 2 3 $"
  expect_contains "$who: only stdio (and ls's own) fds are open" "$out" "fds: 0 1 2 3 "

  printf '[profile]\nextends = ["default"]\n\n[process]\npass_fds = [5]\n' >"$profile"
  chmod 644 "$profile"
  out=$(cd "$PROJECT" && as_user "$who" env "${RUN_ENV[@]}" "$AIRLOCK" -q run --profile "$profile" -- \
    sh -c 'cat <&5' 5<"$FAKE_HOME/.ssh/id_rsa" 2>&1)
  expect_contains "$who: pass_fds = [5] passes fd 5" "$out" "planted-ssh-key"
  out=$(cd "$PROJECT" && as_user "$who" env "${RUN_ENV[@]}" "$AIRLOCK" -q run --profile "$profile" -- true 2>&1)
  expect_eq "$who: pass_fds naming a closed fd is refused" "125" "$(
    cd "$PROJECT" && as_user "$who" env "${RUN_ENV[@]}" "$AIRLOCK" -q run --profile "$profile" -- true >/dev/null 2>&1
    echo $?
  )"
  expect_contains "$who: ... saying which fd" "$out" "fd 5"
}

require_full_sandbox
plant_run_secret
for who in root nobody; do
  make_fixture "$who"
  before=$(host_leftovers)
  attack_secret_files "$who"
  attack_secret_files_one_layer "$who"
  attack_secret_env "$who"
  attack_init_environ "$who"
  attack_inherited_fd "$who"
  expect_nothing_left "$who: nothing left behind" "$before"
done
finish
