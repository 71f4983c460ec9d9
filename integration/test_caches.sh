#!/usr/bin/env bash
# ctest-parts: root nobody
# Caches are not a channel (issue #18), as root and as uid 65534, with
# HOME=$FAKE_HOME holding caches a later build trusts: node-gyp's header
# cache (~/.cache/node-gyp/<version>, which every native build reads),
# npx's packages (~/.npm/_npx), pip's wheels (~/.cache/pip/wheels) and
# ccache's results (~/.cache/ccache).
#
# The attack: step 1, under each shipped profile that runs untrusted code
# (ci-step, make-build, npm-build, npm-test, npm-scripts, pip-install),
# plants in each of them: a `<!(command)` expansion in node-gyp's
# common.gypi, a package in npx's cache, a wheel, a ccache entry. Step 2 is
# the unsandboxed tool: node-gyp building a native addon with that cache.
# After step 1 every cache must be byte for byte what it was, and step 2
# must build without running the planted command. The control: the same
# plants under a profile that makes the caches writable (the shipped
# profiles before overlays) persist and step 2 runs the command, so a pass
# means the check could see the attack.
#
# The legitimate half, each twice (the second run must find what the first
# left where it belongs, not rebuild from nothing):
#   - a native addon built by `npm rebuild` under npm-scripts from node-gyp's
#     header cache, with no network;
#   - a C build with ccache under ci-step: the second build is served from
#     the project's own cache (${project}/.ccache), counted by ccache;
#   - express: `npm ci` under npm-ci from the configured registry, then
#     `npm test` under npm-test (an express app answering on loopback
#     inside); the second `npm ci` works with --offline from ~/.npm, which
#     only npm-ci writes.
# shellcheck disable=SC2016 # single-quoted scripts and makefiles are expanded where they run
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

doctor=$(cd "$SCRATCH" && "$AIRLOCK" doctor 2>/dev/null)
grep -q '^ok   user namespaces' <<<"$doctor" || skip "user namespaces are not available"
grep -q '^ok   landlock' <<<"$doctor" || skip "Landlock is not available"
BASE_PATH=/usr/bin:/bin
PATH=$BASE_PATH command -v node >/dev/null || skip "node is not installed"
PATH=$BASE_PATH command -v npm >/dev/null || skip "npm is not installed"
PATH=$BASE_PATH command -v ccache >/dev/null || { fail "ccache is not installed (packaging/deps.sh installs it)"; finish; }
NODE_GYP=$(dirname "$(readlink -f "$(PATH=$BASE_PATH command -v npm)")")/../node_modules/node-gyp/bin/node-gyp.js
[[ -f $NODE_GYP ]] || { fail "npm has no bundled node-gyp at $NODE_GYP"; finish; }
NODE_VERSION=$(node -p 'process.versions.node')
NODE_HEADERS=/usr/include/node
[[ -f $NODE_HEADERS/node_api.h && -f $NODE_HEADERS/common.gypi ]] || skip "node's headers are not in $NODE_HEADERS"
HAVE_PIP=0
python3 -c 'import pip' 2>/dev/null && HAVE_PIP=1

own() { [[ $WHO == root ]] || chown -R "$NOBODY:$NOBODY" "$@"; }
expect_rc() { if [[ $RC == "$2" ]]; then pass "$1"; else fail "$1: expected exit $2, got $RC; stderr: ${ERR: -600}"; fi; }

# al [NAME=VALUE...] -- ARGS...: airlock ARGS as $WHO in ${IN:-$PROJECT}.
al() { as_step 300 "${IN:-$PROJECT}" "$@"; }
# outside CMD...: the developer's own tool, unsandboxed, as $WHO.
outside() {
  (cd "${IN:-$PROJECT}" && as_user "$WHO" timeout -k 5 300 env -i HOME="$FAKE_HOME" PATH="$BASE_PATH" LANG=C.UTF-8 "$@") \
    </dev/null
}
# Every file under the caches with its content hash, links with their text.
cache_state() {
  (cd "$FAKE_HOME" && find .cache .npm -printf '%y %p %l\n' 2>/dev/null | LC_ALL=C sort &&
     find .cache .npm -type f -exec md5sum {} + 2>/dev/null | LC_ALL=C sort)
}

make_caches() {
  local devdir="$FAKE_HOME/.cache/node-gyp/$NODE_VERSION"
  rm -rf "$FAKE_HOME/.cache" "$FAKE_HOME/.npm"
  mkdir -p "$devdir/include" "$FAKE_HOME/.npm/_npx" "$FAKE_HOME/.cache/pip/wheels" "$FAKE_HOME/.cache/ccache"
  cp -r "$NODE_HEADERS" "$devdir/include/"
  echo 11 > "$devdir/installVersion"
  chmod -R go-w "$FAKE_HOME/.cache" "$FAKE_HOME/.npm"
  own "$FAKE_HOME/.cache" "$FAKE_HOME/.npm"
}

# A native addon (N-API, no dependencies) at $1.
make_addon() {
  mkdir -p "$1"
  printf '{ "targets": [ { "target_name": "hello", "sources": [ "hello.c" ] } ] }\n' > "$1/binding.gyp"
  cat > "$1/hello.c" <<'EOF'
#include <node_api.h>
static napi_value Init(napi_env env, napi_value exports) { (void)env; return exports; }
NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
EOF
  printf '{ "name": "hello", "version": "1.0.0", "gypfile": true }\n' > "$1/package.json"
}

# Step 1's plants, one script: each prints "PLANT name rc=N".
PLANTS='m=$1; g=$HOME/.cache/node-gyp/'"$NODE_VERSION"'/include/node/common.gypi
gypi() {
  python3 - "$g" "$m" <<PY
import sys
p, m = sys.argv[1], sys.argv[2]
s = open(p).read()
t = s.replace("\x27variables\x27: {", "\x27variables\x27: {\n    \x27planted%%\x27: \x27<!(touch %s/gypi && echo 1)\x27," % m, 1)
open(p, "w").write(t)
sys.exit(0 if t != s else 1)
PY
}
npx() { mkdir -p "$HOME/.npm/_npx/feed/node_modules/.bin" && echo touch > "$HOME/.npm/_npx/feed/node_modules/.bin/cowsay"; }
wheel() { echo planted > "$HOME/.cache/pip/wheels/requests-9.9.9-py3-none-any.whl"; }
ccache() { echo planted > "$HOME/.cache/ccache/planted.result"; }
for n in gypi npx wheel ccache; do
  if "$n" 2>/dev/null; then echo "PLANT $n rc=0"; else echo "PLANT $n rc=1"; fi
done
true'

# Step 2: node-gyp builds an addon outside the project, unsandboxed.
step2_node_gyp() {
  IN="$SCRATCH/$WHO/addon" outside sh -c "rm -rf build && node '$NODE_GYP' rebuild --devdir '$FAKE_HOME/.cache/node-gyp'" \
    >"$SCRATCH/step2.out" 2>&1
  S2RC=$?
}

write_profiles() {
  # The control: ci-step with its caches written through, as before overlays.
  cat > "$SCRATCH/$WHO/leaky.toml" <<'EOF'
[profile]
description = "test control: ci-step with the caches writable and shared"
extends = ["ci-step"]

[filesystem]
overlay = ["!+${home}/.cache", "!+${home}/.npm"]
write = ["${home}/.cache", "${home}/.npm"]
EOF
  chmod 644 "$SCRATCH/$WHO/leaky.toml"
}

scenario_attack() {
  local profile what before
  make_addon "$SCRATCH/$WHO/addon"
  mkdir -p "$PROJECT/node_modules"  # npm-scripts writes only there
  own "$SCRATCH/$WHO/addon" "$PROJECT"
  make_caches
  step2_node_gyp
  expect_eq "$WHO: step 2 alone (node-gyp with the header cache, offline) builds the addon" 0 "$S2RC"

  # The control.
  rm -f "$MARKS"/*
  al -- "$AIRLOCK" -q run --profile "$SCRATCH/$WHO/leaky.toml" -- sh -c "$PLANTS" sh "$MARKS"
  expect_contains "$WHO control (caches shared): the gypi plant lands" "$OUT" "PLANT gypi rc=0"
  step2_node_gyp
  if [[ -e $MARKS/gypi ]]; then
    pass "$WHO control (caches shared): step 2 (node-gyp) runs the planted command"
  else
    fail "$WHO control (caches shared): step 2 did not run the planted command: the check below could not see the attack: $(tail -3 "$SCRATCH/step2.out")"
  fi

  local profiles=(ci-step make-build npm-build npm-test npm-scripts)
  [[ $HAVE_PIP == 1 ]] && profiles+=(pip-install)
  for profile in "${profiles[@]}"; do
    what="$WHO $profile"
    make_caches
    before=$(cache_state)
    rm -f "$MARKS"/*
    al -- "$AIRLOCK" -q run --profile "$profile" -- sh -c "$PLANTS" sh "$MARKS"
    expect_rc "$what: step 1 runs" 0
    case $profile in
      npm-scripts)
        expect_contains "$what: node-gyp's header cache cannot be written" "$OUT" "PLANT gypi rc=1" ;;
      pip-install)
        expect_contains "$what: pip's wheel cache is writable inside (an overlay)" "$OUT" "PLANT wheel rc=0" ;;
      make-build)
        expect_contains "$what: ~/.cache is writable inside (an overlay)" "$OUT" "PLANT gypi rc=0"
        expect_contains "$what: ~/.npm is not there to write" "$OUT" "PLANT npx rc=1" ;;
      *)
        expect_contains "$what: the caches are writable inside (an overlay)" "$OUT" "PLANT gypi rc=0"
        expect_contains "$what: npx's cache is writable inside" "$OUT" "PLANT npx rc=0" ;;
    esac
    if [[ $(cache_state) == "$before" ]]; then
      pass "$what: every cache is as it was after the step"
    else
      fail "$what: a cache changed: $(diff <(echo "$before") <(cache_state) | tr '\n' ' ' | cut -c1-600)"
    fi
    step2_node_gyp
    expect_eq "$what: step 2 (node-gyp, unsandboxed) builds" 0 "$S2RC"
    expect_eq "$what: step 2 ran no planted command" "" "$(ls "$MARKS")"
  done
}

scenario_node_gyp_build() {
  local what="$WHO npm-scripts: npm rebuild of a native addon from node-gyp's header cache" n
  make_caches
  rm -rf "$PROJECT"
  mkdir -p "$PROJECT"
  make_addon "$PROJECT/node_modules/hello"
  printf '{ "name": "app", "version": "1.0.0", "private": true, "dependencies": { "hello": "1.0.0" } }\n' \
    > "$PROJECT/package.json"
  own "$PROJECT"
  for n in 1 2; do
    al -- "$AIRLOCK" -q run --profile npm-scripts -- npm rebuild --foreground-scripts
    expect_rc "$what (run $n) exits 0" 0
    expect_true_file "$what (run $n): the addon was built" "$PROJECT/node_modules/hello/build/Release/hello.node"
  done
  al -- "$AIRLOCK" -q run --profile npm-test -- node -e 'require("./node_modules/hello/build/Release/hello.node"); console.log("loaded")'
  expect_rc "$WHO npm-test: node loads the built addon" 0
  expect_contains "$WHO npm-test: the built addon loads" "$OUT" "loaded"
}

expect_true_file() { if [[ -s $2 ]]; then pass "$1"; else fail "$1: $2 is missing; stderr: ${ERR: -600}"; fi; }

scenario_ccache() {
  local what="$WHO ci-step: a C build with ccache" hits
  make_caches
  rm -rf "$PROJECT"
  mkdir -p "$PROJECT/src"
  for n in 1 2 3; do printf 'int f%s(void) { return %s; }\n' "$n" "$n" > "$PROJECT/src/f$n.c"; done
  printf 'int main(void) { return 0; }\n' > "$PROJECT/src/main.c"
  printf 'OBJ = src/f1.o src/f2.o src/f3.o src/main.o\napp: $(OBJ)\n\tccache cc -o $@ $(OBJ)\n%%.o: %%.c\n\tccache cc -c -o $@ $<\nclean:\n\trm -f app $(OBJ)\n' \
    > "$PROJECT/Makefile"
  own "$PROJECT"
  local before
  before=$(cache_state)
  al -- "$AIRLOCK" -q run --profile ci-step -- sh -c 'make -s && make -s clean && make -s && ccache --print-stats'
  expect_rc "$what: two builds exit 0" 0
  hits=$(awk '$1 == "direct_cache_hit" || $1 == "preprocessed_cache_hit" { n += $2 } END { print n + 0 }' <<<"$OUT")
  if [[ $hits -ge 4 ]]; then
    pass "$what: the second build is served from the cache ($hits hits)"
  else
    fail "$what: the second build was not served from the cache ($hits hits): $OUT"
  fi
  expect_true_file "$what: the cache is the project's (.ccache)" "$(find "$PROJECT/.ccache" -type f -name '*R' -print -quit 2>/dev/null)"
  al -- "$AIRLOCK" -q run --profile ci-step -- sh -c 'make -s clean && make -s && ccache --print-stats'
  hits=$(awk '$1 == "direct_cache_hit" || $1 == "preprocessed_cache_hit" { n += $2 } END { print n + 0 }' <<<"$OUT")
  if [[ $hits -ge 8 ]]; then
    pass "$what: a later step finds the project's cache ($hits hits in all)"
  else
    fail "$what: a later step did not find the project's cache ($hits hits): $OUT"
  fi
  if [[ $(cache_state) == "$before" ]]; then
    pass "$what: nothing was written to ~/.cache"
  else
    fail "$what: ~/.cache changed: $(diff <(echo "$before") <(cache_state) | tr '\n' ' ' | cut -c1-400)"
  fi
}

scenario_express() {
  local what="$WHO express" n
  make_caches
  rm -rf "$PROJECT"
  cp -r "$AIRLOCK_SRC/integration/fixtures/express-app" "$PROJECT"
  own "$PROJECT"
  # The lockfile, as a checkout has it (written with npm's own network, once).
  if ! IN=$PROJECT outside npm install --package-lock-only --ignore-scripts --no-audit --no-fund >/dev/null 2>&1; then
    fail "$what: could not write the lockfile (npm's registry unreachable?)"
    return
  fi
  rm -rf "$FAKE_HOME/.npm/_cacache"
  al -- "$AIRLOCK" -q run --profile npm-ci -- npm ci --no-audit --no-fund
  expect_rc "$what: npm ci under npm-ci exits 0" 0
  expect_true_file "$what: express was installed" "$PROJECT/node_modules/express/package.json"
  for n in 1 2; do
    al -- "$AIRLOCK" -q run --profile npm-test -- npm test
    expect_rc "$what: npm test under npm-test (run $n) exits 0" 0
    expect_contains "$what: npm test (run $n): the app answered on loopback inside" "$OUT" 'express answered {"hello":"world"}'
  done
  rm -rf "$PROJECT/node_modules"
  al -- "$AIRLOCK" -q run --profile npm-ci -- npm ci --no-audit --no-fund --offline
  expect_rc "$what: the second npm ci runs --offline from ~/.npm, which npm-ci wrote" 0
  expect_true_file "$what: the second npm ci installed express" "$PROJECT/node_modules/express/package.json"
}

START=$SECONDS
# ctest runs each user's half as its own test (AIRLOCK_TEST_PART), in parallel.
read -ra users <<<"${AIRLOCK_TEST_PART:-root nobody}"
for WHO in "${users[@]}"; do
  make_fixture "$WHO"
  MARKS="$SCRATCH/$WHO/marks"
  mkdir -p "$MARKS"
  chmod 777 "$MARKS"
  write_profiles
  t=$SECONDS
  scenario_attack
  scenario_node_gyp_build
  scenario_ccache
  scenario_express
  echo "time $WHO: $((SECONDS - t)) s"
done
echo "$((SECONDS - START)) s"
finish
