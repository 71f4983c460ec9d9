#!/usr/bin/env bash
# `airlock install-scripts` on a project installed by a real pnpm, as root and
# as uid 65534. pnpm $PNPM_VERSION is fetched from the registry npm is
# configured with (`npm pack`, its integrity pinned) into the scratch
# directory and run from there with node: nothing is installed on the
# machine; without the registry the test is skipped. It installs, scripts
# off, install-scripts/pnpm-project/ (pnpm's layout: each package in
# node_modules/.pnpm/<name>@<version>/node_modules/<name>, its dependencies
# linked beside it):
#   esbuild        from the registry, a postinstall that checks its binary
#   tiny-addon     a node-gyp addon (a file: tarball)
#   evil-tamper    rewrites other packages and its own dependency, found as
#                  Node finds them: in the store's entries
#   evil-secrets   reads the home's and the project's secrets
# approved the pnpm way in package.json ("pnpm": {"onlyBuiltDependencies"}):
# all but evil-secrets, the file: tarballs by their dep path, as pnpm
# requires. The approved packages must build and work, evil-tamper's attempts
# be refused and named, evil-secrets be skipped with how to approve it, and
# nothing change outside the approved packages' own directories, nor in
# pnpm's store; a copy approving through pnpm-workspace.yaml (evil-tamper by
# its name only, which approves no file: tarball) is listed; and `pnpm
# rebuild` of the pristine copy, without airlock, must let evil-tamper leave
# its marks and leave evil-secrets unrun (the test can fail, and pnpm agrees
# with airlock on what is approved).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/core_lib.sh"
source "$(dirname "$0")/install-scripts/lib.sh"
require_install_scripts_tools
require_commands tar

PNPM_VERSION=10.34.9
PNPM_INTEGRITY=sha512-9JtajqD97bRLs8DB1ldQkqU8KVDZW3rRXfEfF5dId6LeOgHAfpNOmyjOcW5RwJqUlixzBtCb4uHksYqMh2L9Mg==
REGISTRY=$(npm config get registry 2>/dev/null)
PNPM_DIR="$SCRATCH/pnpm"
mkdir -p "$PNPM_DIR"
started=$SECONDS
if ! (cd "$PNPM_DIR" && timeout -k 5 60 env npm_config_cache="$PNPM_DIR/npm-cache" npm pack --json --loglevel=error \
        --fetch-retries=1 --fetch-retry-mintimeout=2000 --fetch-retry-maxtimeout=5000 "pnpm@$PNPM_VERSION" \
        >"$PNPM_DIR/pack.json" 2>"$PNPM_DIR/pack.err"); then
  reason=$(sed -n 's/^ *"summary": "\(.*\)",\{0,1\}$/\1/p' "$PNPM_DIR/pack.json" | head -1)
  skip "pnpm@$PNPM_VERSION could not be fetched from the registry $REGISTRY: ${reason:-$(head -c 300 "$PNPM_DIR/pack.err")}"
fi
integrity=$(rq "$PNPM_DIR/pack.json" 'r[0]["integrity"]')
[[ $integrity == "$PNPM_INTEGRITY" ]] \
  || { fail "pnpm@$PNPM_VERSION: integrity $integrity, not the pinned $PNPM_INTEGRITY"; finish; }
tar -xzf "$PNPM_DIR/pnpm-$PNPM_VERSION.tgz" -C "$PNPM_DIR"
rm -rf "$PNPM_DIR/npm-cache"
echo "note pnpm $PNPM_VERSION fetched in $((SECONDS - started)) s"

STORE_ENTRY_OF=(esbuild@0.28.2 tiny-addon@file+tiny-addon-1.0.0.tgz evil-tamper@file+evil-tamper-1.0.0.tgz
                evil-secrets@file+evil-secrets-1.0.0.tgz)
# own NAME: the package's own directory in the project (pnpm's store entry).
own() {
  local entry
  for entry in "${STORE_ENTRY_OF[@]}"; do
    [[ $entry == "$1@"* ]] && echo "node_modules/.pnpm/$entry/node_modules/$1" && return
  done
}
APPROVED=(esbuild tiny-addon evil-tamper)
# evil-tamper's targets: the project's is-number, esbuild's main file, a new
# file beside is-number's, and evil-tamper's own dependency (is-number 6).
TARGETS=(is-number@7.0.0/node_modules/is-number/index.js esbuild@0.28.2/node_modules/esbuild/lib/main.js
         is-number@7.0.0/node_modules/is-number/hook.js is-number@6.0.0/node_modules/is-number/index.js)
# evidence DIR: the targets evil-tamper wrote in the project DIR, one a line.
evidence() {
  local target
  for target in "${TARGETS[@]}"; do
    if [[ $target == */hook.js ]]; then
      [[ -e $1/node_modules/.pnpm/$target ]] && echo "$target"
    else
      grep -qs __airlockTampered "$1/node_modules/.pnpm/$target" && echo "$target"
    fi
  done
  true
}

# pnpm_as NAME DIR ARGS...: pnpm ARGS as $WHO in DIR, with the user's store
# and home; its output in $W/NAME.log. Sets RC.
pnpm_as() {
  local name=$1 dir=$2; shift 2
  (cd "$dir" && as_user "$WHO" timeout -k 5 180 env -i HOME="$IS_HOME" PATH=/usr/bin:/bin LANG=C.UTF-8 \
     npm_config_nodedir=/usr node "$PNPM_DIR/package/bin/pnpm.cjs" "$@" --store-dir "$STORE" \
     --config.registry="$REGISTRY" --config.update-notifier=false --reporter=append-only) \
    >"$W/$name.log" 2>&1 </dev/null
  RC=$?
}

for WHO in root nobody; do
  started=$SECONDS
  setup_world pnpm
  STORE="$W/store"
  mkdir -p "$STORE"
  # The npm project's files give way to the pnpm project's.
  rm -f "$P/package-lock.json" "$P"/evil-{root,bin,net,syscall}-1.0.0.tgz
  cp "$FIXTURES/pnpm-project/package.json" "$P/"
  [[ $WHO == root ]] || chown -R $NOBODY:$NOBODY "$IS_HOME" "$P" "$R" "$STORE"

  # Fetch, scripts off: pnpm's first step (test setup, outside airlock).
  pnpm_as install "$P" install --ignore-scripts --no-frozen-lockfile
  expect_eq "$WHO: pnpm install --ignore-scripts succeeds" 0 "$RC"
  if [[ $RC -ne 0 || ! -f $P/$(own esbuild)/package.json || ! -f $P/$(own evil-tamper)/package.json ]]; then
    fail "$WHO: the project was not installed in pnpm's layout; nothing more to check: $(tail -c 3000 "$W/install.log")"
    continue
  fi
  BASE="$W/pristine"
  cp -a "$P" "$BASE"
  store_before=$(tree_sums "$STORE")
  [[ -z $(evidence "$P") ]] || fail "$WHO: a target was tampered with before any script ran: $(evidence "$P")"
  expect_match "$WHO: control: the addon is not built yet" "$(node_in "$P" "$ADDON_CHECK")" "Cannot find module"

  airlock_is run install-scripts --report "$R/run.json"
  expect_eq "$WHO: install-scripts exits 0" 0 "$RC"
  expect_eq "$WHO: the report follows its schema" valid "$(valid "$R/run.json")"
  expect_eq "$WHO: the report: project, layout pnpm" "$P pnpm" "$(rq "$R/run.json" 'r["project"] + " " + r["layout"]')"
  expect_line "$WHO: the summary" "$ERR" "$L 3 ran, 0 failed, 1 skipped"
  expect_eq "$WHO: the report: the result" "0 3 0 1" \
    "$(rq "$R/run.json" '" ".join(str(r["result"][k]) for k in ("exit_status", "ran", "failed", "skipped"))')"
  expect_line "$WHO: esbuild's postinstall ran" "$ERR" "$L esbuild@0.28.2: postinstall ok"
  expect_line "$WHO: tiny-addon's node-gyp rebuild ran" "$ERR" "$L tiny-addon@file+tiny-addon-1.0.0.tgz: install ok"
  expect_line "$WHO: evil-tamper's postinstall ran" "$ERR" "$L evil-tamper@file+evil-tamper-1.0.0.tgz: postinstall ok"
  for pkg in "${APPROVED[@]}"; do
    expect_eq "$WHO: the report: $pkg ok, in its store entry" "ok $(own "$pkg")" \
      "$(rq "$R/run.json" 'p[a[0]]["status"] + " " + p[a[0]]["path"]' "$pkg")"
  done
  expect_eq "$WHO: the report: who approved what" \
    "$(printf 'package.json pnpm.onlyBuiltDependencies "%s"|' esbuild tiny-addon@file:tiny-addon-1.0.0.tgz \
       evil-tamper@file:evil-tamper-1.0.0.tgz)" \
    "$(rq "$R/run.json" '"".join(p[n]["approved_by"] + "|" for n in a)' "${APPROVED[@]}")"
  line=$(grep -F "$L skipped evil-secrets@file+evil-secrets-1.0.0.tgz (not approved):" <<<"$ERR" | head -1)
  expect_contains "$WHO: evil-secrets skipped, with pnpm's way to approve it" "$line" "pnpm's onlyBuiltDependencies"
  expect_contains "$WHO: evil-secrets skipped, with --allow" "$line" "--allow evil-secrets"
  expect_eq "$WHO: the report: evil-secrets skipped, unapproved" "skipped None" \
    "$(rq "$R/run.json" 'p["evil-secrets"]["status"] + " " + str(p["evil-secrets"]["approved_by"])')"
  [[ ! -e $P/$(own evil-secrets)/attempts.json ]] && pass "$WHO: evil-secrets did not run" \
    || fail "$WHO: evil-secrets ran"

  # evil-tamper: each attempt refused and named, on the terminal and in the report.
  for target in "${TARGETS[@]}"; do
    path="$P/node_modules/.pnpm/$target"
    expect_line "$WHO: evil-tamper: refused write $target" "$ERR" \
      "$L evil-tamper@file+evil-tamper-1.0.0.tgz: refused write $path"
    expect_eq "$WHO: evil-tamper: the report has refused write $target" True \
      "$(rq "$R/run.json" 'any(f["kind"] == "write" and f["subject"] == a[0] for f in p["evil-tamper"]["refusals"])' "$path")"
  done
  expect_eq "$WHO: evil-tamper ran and every attempt failed" "ran, none done" \
    "$(rq "$P/$(own evil-tamper)/attempts.json" '"ran, none done" if len(r) == 4 and not [x for x in r if x["result"] == "done"] else r')"
  expect_eq "$WHO: evil-tamper's targets are unchanged" "" "$(evidence "$P")"
  owns=()
  for pkg in "${APPROVED[@]}"; do owns+=("$(own "$pkg")"); done
  expect_same_tree "$WHO: nothing changed outside the approved packages' own directories" "${owns[@]}"
  diff=$(diff <(echo "$store_before") <(tree_sums "$STORE"))
  [[ -z $diff ]] && pass "$WHO: pnpm's store is unchanged" || fail "$WHO: pnpm's store changed: $(head -c 2000 <<<"$diff")"
  expect_eq "$WHO: esbuild works after its postinstall, untampered" "let x = 1;|" "$(node_in "$P" "$ESBUILD_CHECK")"
  expect_eq "$WHO: the addon built and loads" "tiny-addon: built natively" "$(node_in "$P" "$ADDON_CHECK")"

  # The approvals in pnpm-workspace.yaml instead: esbuild by name approves
  # the registry package; evil-tamper by name approves no file: tarball.
  Y="$W/workspace"
  cp -a "$BASE" "$Y"
  python3 - "$Y/package.json" <<'PY'
import json, sys
manifest = json.load(open(sys.argv[1]))
del manifest["pnpm"]
json.dump(manifest, open(sys.argv[1], "w"), indent=2)
PY
  printf 'onlyBuiltDependencies:\n  - esbuild\n  - evil-tamper\n' > "$Y/pnpm-workspace.yaml"
  IN=$Y airlock_is yaml install-scripts --list --report "$R/yaml.json"
  expect_eq "$WHO: pnpm-workspace.yaml: --list exits 0" 0 "$RC"
  expect_line "$WHO: pnpm-workspace.yaml approves esbuild" "$ERR" \
    "$L would run esbuild@0.28.2 postinstall: node install.js (approved by pnpm-workspace.yaml onlyBuiltDependencies \"esbuild\")"
  expect_eq "$WHO: pnpm-workspace.yaml: the report" \
    "pnpm-workspace.yaml onlyBuiltDependencies \"esbuild\"|None|None|None" \
    "$(rq "$R/yaml.json" '"|".join(str(p[n]["approved_by"]) for n in a)' esbuild tiny-addon evil-tamper evil-secrets)"
  line=$(grep -F "$L skipped evil-tamper@file+evil-tamper-1.0.0.tgz (not approved):" <<<"$ERR" | head -1)
  expect_contains "$WHO: pnpm-workspace.yaml: evil-tamper's name is no approval, and the skip says why" "$line" \
    "pnpm-workspace.yaml onlyBuiltDependencies \"evil-tamper\" names a registry package"

  # pnpm itself, without airlock, on the pristine copy: it builds what
  # airlock approved (evil-tamper's attack then works), not evil-secrets.
  pnpm_as bare "$BASE" rebuild
  expect_eq "$WHO: bare pnpm rebuild succeeds" 0 "$RC"
  expect_eq "$WHO: bare: evil-tamper wrote every target" "$(printf '%s\n' "${TARGETS[@]}")" "$(evidence "$BASE")"
  expect_eq "$WHO: bare: esbuild runs evil-tamper's code" "let x = 1;|evil-tamper" "$(node_in "$BASE" "$ESBUILD_CHECK")"
  [[ ! -e $BASE/$(own evil-secrets)/attempts.json ]] && pass "$WHO: bare: pnpm did not run evil-secrets either" \
    || fail "$WHO: bare: pnpm ran evil-secrets, which airlock counts as not approved"
  echo "note $WHO: $((SECONDS - started)) s"
done
finish
