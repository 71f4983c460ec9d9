#!/usr/bin/env bash
# ctest-parts: root nobody
# `airlock install-scripts`: each approved dependency's install scripts in a
# sandbox of its own, as root and as uid 65534. The project (fixtures in
# integration/install-scripts/) is fetched with scripts off, as the README's
# chain does (`airlock run --profile npm-ci -- npm ci`); its dependencies are
#   esbuild        a registry package whose postinstall validates its binary
#   tiny-addon     a native addon with binding.gyp only (implicit node-gyp rebuild)
#   evil-tamper    rewrites other packages' code and its own nested dependency
#   evil-root      writes the project root and the home; exits 3 when refused
#   evil-bin       replaces another package's .bin link, plants .bin/node
#   evil-secrets   reads ~/.npmrc, ~/.ssh/id_rsa, the project's .env, env tokens
#   evil-net       DNS lookup of a made-up name, TCP and UDP to the collector
#   evil-syscall   unshare and keyctl
# The legitimate packages must build and work, every attack must fail (the
# files unchanged, the collector's loot empty, no secret in any output), be
# named in airlock's output and report, and the bare `npm rebuild` of a copy
# of the same project must show every attack succeeding (the test can fail).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/core_lib.sh"
source "$(dirname "$0")/install-scripts/lib.sh"
require_install_scripts_tools

HOSTILE=(evil-tamper evil-root evil-bin evil-secrets evil-net evil-syscall)
ALL=(esbuild tiny-addon "${HOSTILE[@]}")

# evidence DIR: the marks the attacks leave in the project DIR when they
# succeed, one a line.
evidence() {
  local d=$1 nm=$1/node_modules
  grep -qs __airlockTampered "$nm/is-number/index.js" && echo "tamper: is-number/index.js"
  grep -qs __airlockTampered "$nm/esbuild/lib/main.js" && echo "tamper: esbuild/lib/main.js"
  [[ -e $nm/is-number/hook.js ]] && echo "tamper: is-number/hook.js"
  grep -qs __airlockTampered "$nm/evil-tamper/node_modules/is-number/index.js" && echo "tamper: nested is-number"
  grep -qs node_modules/evil-root/index.js "$d/package.json" && echo "root: package.json"
  [[ -e $d/.npmrc ]] && echo "root: .npmrc"
  [[ -e $d/evil-root-was-here.txt ]] && echo "root: new file"
  [[ $(readlink "$nm/.bin/esbuild") == *evil-bin* ]] && echo "bin: .bin/esbuild"
  [[ -e $nm/.bin/node || -L $nm/.bin/node ]] && echo "bin: .bin/node"
  grep -qs . "$nm/evil-bin/hijacked.log" && echo "bin: later scripts ran the planted node"
  grep -qs . "$nm/evil-secrets/loot.txt" && echo "secrets: loot"
  [[ $(rq "$nm/evil-syscall/attempts.json" '[x["result"] for x in r if x["name"].startswith("keyctl")]' 2>/dev/null) == "['done']" ]] \
    && echo "syscall: keyctl"
  true
}
ALL_EVIDENCE=$(printf '%s\n' "tamper: is-number/index.js" "tamper: esbuild/lib/main.js" "tamper: is-number/hook.js" \
  "tamper: nested is-number" "root: package.json" "root: .npmrc" "root: new file" "bin: .bin/esbuild" "bin: .bin/node" \
  "bin: later scripts ran the planted node" "secrets: loot" "syscall: keyctl")

# ctest runs each user's half as its own test (AIRLOCK_TEST_PART), in parallel.
read -ra users <<<"${AIRLOCK_TEST_PART:-root nobody}"
for WHO in "${users[@]}"; do
  started=$SECONDS
  setup_world is
  [[ $WHO == root ]] || chown -R $NOBODY:$NOBODY "$IS_HOME" "$P" "$R"
  ENV_NPM_TOKEN="npm_$(head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n')"
  ENV_GITHUB_TOKEN=$(make_github_token)
  SECRETS=("$IS_NPMRC_TOKEN" "$IS_SSH_KEY" "$IS_DOTENV_SECRET" "$ENV_NPM_TOKEN" "$ENV_GITHUB_TOKEN")

  # Fetch, scripts off: the first step of the README's chain.
  airlock_is ci run --profile npm-ci -- npm ci --no-audit --no-fund
  expect_eq "$WHO: npm ci under npm-ci succeeds" 0 "$RC"
  if [[ $RC -ne 0 || ! -f $P/node_modules/esbuild/package.json || ! -f $P/node_modules/evil-root/package.json ]]; then
    fail "$WHO: the project was not installed; nothing more to check: $(tail -c 3000 "$W/ci.err")"
    continue
  fi
  BASE="$W/pristine"
  cp -a "$P" "$BASE"
  [[ -n $(evidence "$P") ]] && fail "$WHO: an attack left a mark before any script ran: $(evidence "$P")"
  expect_match "$WHO: control: the addon is not built yet" "$(node_in "$P" "$ADDON_CHECK")" "Cannot find module"

  # --list runs nothing (and --project finds the project from elsewhere).
  IN=$W airlock_is list install-scripts --list --project "$P"
  expect_eq "$WHO: --list exits 0" 0 "$RC"
  for pkg in "${ALL[@]}"; do
    expect_contains "$WHO: --list names $pkg" "$OUT$ERR" "$pkg"
  done
  expect_same_tree "$WHO: --list changed nothing in the project"

  # No approval at all: the project's own (allowScripts: esbuild) ignored.
  airlock_is none install-scripts --no-project-approvals --report "$R/none.json"
  expect_eq "$WHO: nothing approved: exit 0" 0 "$RC"
  expect_line "$WHO: nothing approved: the summary" "$ERR" "$L 0 ran, 0 failed, 8 skipped"
  expect_line "$WHO: nothing approved: esbuild skipped" "$ERR" "$L skipped esbuild@0.28.2 (not approved):"
  expect_eq "$WHO: nothing approved: the report says esbuild was skipped" "skipped None" \
    "$(rq "$R/none.json" 'p["esbuild"]["status"], p["esbuild"]["approved_by"]' | tr -d "(),'")"
  expect_same_tree "$WHO: nothing approved: nothing changed"

  # The project's approval (esbuild) and --allow tiny-addon: both build, the
  # hostile packages are skipped with the way to approve them.
  airlock_is ok install-scripts --allow tiny-addon --report "$R/ok.json"
  expect_eq "$WHO: legitimate packages: exit 0" 0 "$RC"
  expect_line "$WHO: esbuild's postinstall ran" "$ERR" "$L esbuild@0.28.2: postinstall ok"
  expect_line "$WHO: tiny-addon's node-gyp rebuild ran" "$ERR" "$L tiny-addon@1.0.0: install ok"
  expect_line "$WHO: legitimate packages: the summary" "$ERR" "$L 2 ran, 0 failed, 6 skipped"
  for pkg in "${HOSTILE[@]}"; do
    line=$(grep -F "$L skipped $pkg@1.0.0 (not approved):" <<<"$ERR" | head -1)
    expect_contains "$WHO: $pkg skipped, with how to approve it" "$line" "--allow $pkg"
  done
  for report in none ok; do
    expect_eq "$WHO: the $report report follows its schema" valid "$(valid "$R/$report.json")"
  done
  expect_eq "$WHO: the report: schema, version, project, layout" "airlock-install-scripts-report 1 $P npm" \
    "$(rq "$R/ok.json" '" ".join([r["schema"], str(r["version"]), r["project"], r["layout"]])')"
  expect_eq "$WHO: the report: esbuild ok, approved, its postinstall" "ok node_modules/esbuild True postinstall|node install.js|0" \
    "$(rq "$R/ok.json" '" ".join([p["esbuild"]["status"], p["esbuild"]["path"], str(bool(p["esbuild"]["approved_by"])),
        ",".join("|".join(str(s[k]) for k in ("event", "command", "exit_status")) for s in p["esbuild"]["scripts"])])')"
  expect_eq "$WHO: the report: tiny-addon ok, approved by --allow, node-gyp rebuild" "ok True install|0|True" \
    "$(rq "$R/ok.json" '" ".join([p["tiny-addon"]["status"], str(bool(p["tiny-addon"]["approved_by"])),
        ",".join("|".join([s["event"], str(s["exit_status"]), str("node-gyp rebuild" in s["command"])]) for s in p["tiny-addon"]["scripts"])])')"
  expect_eq "$WHO: the report: the hostile packages skipped, unapproved" "$(printf 'skipped None %.0s' "${HOSTILE[@]}")" \
    "$(rq "$R/ok.json" '"".join(p[n]["status"] + " " + str(p[n]["approved_by"]) + " " for n in a)' "${HOSTILE[@]}")"
  expect_eq "$WHO: the report: the result" "0 2 0 6" \
    "$(rq "$R/ok.json" '" ".join(str(r["result"][k]) for k in ("exit_status", "ran", "failed", "skipped"))')"
  expect_eq "$WHO: esbuild works after its postinstall" "let x = 1;|" "$(node_in "$P" "$ESBUILD_CHECK")"
  expect_eq "$WHO: the addon built and loads" "tiny-addon: built natively" "$(node_in "$P" "$ADDON_CHECK")"
  [[ -n $(find "$P/node_modules/tiny-addon/build" -name '*.node' 2>/dev/null) ]] \
    && pass "$WHO: build/Release/tiny_addon.node exists" || fail "$WHO: no .node file was built"
  expect_same_tree "$WHO: legitimate packages: nothing changed outside their own directories" node_modules/esbuild node_modules/tiny-addon

  # Everything approved: every hostile script runs, in its own sandbox.
  allow=()
  for pkg in tiny-addon "${HOSTILE[@]}"; do allow+=(--allow "$pkg"); done
  airlock_is all install-scripts "${allow[@]}" --report "$R/all.json"
  expect_eq "$WHO: hostile packages approved: exit 1 (evil-root failed)" 1 "$RC"
  expect_eq "$WHO: the report of the hostile run follows its schema" valid "$(valid "$R/all.json")"
  expect_line "$WHO: evil-root's preinstall failure is named" "$ERR" \
    "$L evil-root@1.0.0: preinstall failed with exit status 3"
  expect_line "$WHO: hostile packages approved: the summary" "$ERR" "$L 8 ran, 1 failed, 0 skipped"
  expect_eq "$WHO: the report: the result" "1 8 1 0" \
    "$(rq "$R/all.json" '" ".join(str(r["result"][k]) for k in ("exit_status", "ran", "failed", "skipped"))')"
  expect_eq "$WHO: the report: evil-root failed, its preinstall exit status 3" "failed preinstall|3" \
    "$(rq "$R/all.json" '" ".join([p["evil-root"]["status"]] + [s["event"] + "|" + str(s["exit_status"]) for s in p["evil-root"]["scripts"]])')"
  expect_line "$WHO: esbuild still builds" "$ERR" "$L esbuild@0.28.2: postinstall ok"
  expect_line "$WHO: tiny-addon still builds" "$ERR" "$L tiny-addon@1.0.0: install ok"
  expect_contains "$WHO: the scripts' own output reaches airlock's output" "$OUT$ERR" "evil-tamper: append to another package's main file"
  # Each attempt named, on the terminal and in the report.
  while IFS='|' read -r pkg kind subject; do
    expect_line "$WHO: $pkg: refused $kind $subject" "$ERR" "$L $pkg@1.0.0: refused $kind $subject"
    expect_eq "$WHO: $pkg: the report has refused $kind $subject" True \
      "$(rq "$R/all.json" 'any(f["kind"] == a[1] and f["subject"] == a[2] for f in p[a[0]]["refusals"])' "$pkg" "$kind" "$subject")"
  done <<EOF
evil-tamper|write|$P/node_modules/is-number/index.js
evil-tamper|write|$P/node_modules/esbuild/lib/main.js
evil-tamper|write|$P/node_modules/is-number/hook.js
evil-tamper|write|$P/node_modules/evil-tamper/node_modules/is-number/index.js
evil-root|write|$P/package.json
evil-root|write|$P/.npmrc
evil-root|write|$P/evil-root-was-here.txt
evil-bin|write|$P/node_modules/.bin/esbuild
evil-bin|write|$P/node_modules/.bin/node
evil-secrets|secret|$IS_HOME/.npmrc
evil-secrets|secret|$IS_HOME/.ssh/id_rsa
evil-secrets|hidden|$P/.env
evil-secrets|connect|127.0.0.1:$IS_COLLECTOR_PORT
evil-net|dns|[16 characters].exfil.airlock-test.example
evil-net|connect|127.0.0.1:$IS_COLLECTOR_PORT
evil-syscall|syscall|keyctl
EOF
  # Each attack ran (its own directory is writable: it recorded its
  # attempts there) and failed.
  for pkg in "${HOSTILE[@]}"; do
    expect_eq "$WHO: $pkg ran and every attempt failed" "ran, none done" \
      "$(rq "$P/node_modules/$pkg/attempts.json" '"ran, none done" if r and not [x for x in r if x["result"] == "done"] else r')"
  done
  expect_eq "$WHO: no attack left a mark" "" "$(evidence "$P")"
  expect_same_tree "$WHO: nothing changed outside the packages' own directories" "${ALL[@]/#/node_modules/}"
  [[ ! -e $IS_HOME/.bashrc ]] && pass "$WHO: the home was not written" || fail "$WHO: ~/.bashrc was written"

  # A per-package rule in the profile grants one package one named
  # destination: evil-net's lookup of its name is answered (from the
  # profile's pin: nothing leaves the machine), its other attempts and
  # every other package's stay refused.
  cat > "$W/granted.toml" <<'TOML'
[profile]
extends = ["npm-install-script"]
[install_scripts]
allow_net = { "evil-net" = "6576696c2d6e6574.exfil.airlock-test.example:443" }
[network]
hosts = { "6576696c2d6e6574.exfil.airlock-test.example" = "192.0.2.1" }
TOML
  chmod 644 "$W/granted.toml"
  airlock_is granted install-scripts -p "$W/granted.toml" --no-project-approvals \
    --allow evil-net --allow evil-secrets --report "$R/granted.json"
  # (answered by the gateway, which relays connections to the pinned address)
  expect_eq "$WHO: granted: evil-net's lookup of its granted name is answered" "done" \
    "$(rq "$P/node_modules/evil-net/attempts.json" '" ".join(x["result"] for x in r if x["name"].startswith("DNS lookup"))')"
  expect_eq "$WHO: granted: evil-net's TCP to the collector is still refused" "refused" \
    "$(rq "$P/node_modules/evil-net/attempts.json" '" ".join(x["result"] for x in r if x["name"].startswith("TCP"))')"
  expect_eq "$WHO: granted: evil-secrets (no rule) is still refused" "ran, none done" \
    "$(rq "$P/node_modules/evil-secrets/attempts.json" '"ran, none done" if r and not [x for x in r if x["result"] == "done"] else r')"
  expect_eq "$WHO: granted: nothing reached the collector" "" "$(cat "$IS_LOOT")"
  sleep 0.5  # the collector writes what arrives from its own threads
  expect_eq "$WHO: the collector received nothing" "" "$(cat "$IS_LOOT")"
  for secret in "${SECRETS[@]}"; do
    leaked=$(grep -rlF -- "$secret" "$W"/*.out "$W"/*.err "$R" "$P/node_modules" 2>/dev/null | grep -v "/ci\.")
    expect_eq "$WHO: the secret ${secret:0:16}... appears in no output, report or package" "" "$leaked"
  done
  expect_eq "$WHO: esbuild works, untampered" "let x = 1;|" "$(node_in "$P" "$ESBUILD_CHECK")"
  expect_eq "$WHO: the addon still loads" "tiny-addon: built natively" "$(node_in "$P" "$ADDON_CHECK")"

  # Bad input: 125, naming what is wrong.
  IN=$W airlock_is bad-option install-scripts --no-such-option
  expect_eq "$WHO: an unknown option: exit 125" 125 "$RC"
  expect_contains "$WHO: the unknown option is named" "$ERR" "--no-such-option"
  IN=$W airlock_is bad-project install-scripts --project "$W/missing"
  expect_eq "$WHO: a missing project: exit 125" 125 "$RC"
  expect_contains "$WHO: the missing project is named" "$ERR" "$W/missing"
  mkdir -p "$W/broken/node_modules"
  printf '{ "name": "broken", "dependencies": {\n' > "$W/broken/package.json"
  [[ $WHO == root ]] || chown -R $NOBODY:$NOBODY "$W/broken"
  IN=$W airlock_is bad-json install-scripts --project "$W/broken"
  expect_eq "$WHO: a malformed package.json: exit 125" 125 "$RC"
  expect_contains "$WHO: a malformed package.json is named" "$ERR" "$W/broken/package.json"
  # A profile that would let a package write beyond its own directory is
  # refused before any script runs.
  before=$(tree_sums "$P")
  airlock_is wide-profile install-scripts -p default --allow evil-tamper
  expect_eq "$WHO: a profile that grants the project: exit 125" 125 "$RC"
  expect_contains "$WHO: the grant is named" "$ERR" "'s scripts write $P ("
  expect_not_contains "$WHO: nothing ran" "$ERR" "postinstall"
  expect_eq "$WHO: nothing changed" "$before" "$(tree_sums "$P")"

  # The same project without airlock: every attack succeeds, so the checks
  # above can fail.
  (cd "$BASE" && as_user "$WHO" timeout -k 5 240 env -i HOME="$IS_HOME" PATH=/usr/bin:/bin LANG=C.UTF-8 \
     NPM_TOKEN="$ENV_NPM_TOKEN" npm_config_nodedir=/usr npm_config_update_notifier=false \
     npm rebuild --foreground-scripts --dangerously-allow-all-scripts) >"$W/bare.out" 2>&1 </dev/null
  expect_eq "$WHO: bare npm rebuild succeeds" 0 "$?"
  expect_eq "$WHO: bare: every attack left its mark" "$ALL_EVIDENCE" "$(evidence "$BASE")"
  expect_eq "$WHO: bare: ~/.bashrc was written" "# planted by evil-root" "$(cat "$IS_HOME/.bashrc" 2>/dev/null)"
  sleep 0.5
  loot=$(cat "$IS_LOOT")
  for secret in "$IS_NPMRC_TOKEN" "$IS_SSH_KEY" "$IS_DOTENV_SECRET"; do
    expect_contains "$WHO: bare: the collector received ${secret:0:16}..." "$loot" "$secret"
    expect_contains "$WHO: bare: the build log shows ${secret:0:16}..." "$(<"$W/bare.out")" "$secret"
  done
  expect_contains "$WHO: bare: the collector received evil-net's TCP" "$loot" "tcp evil-net over TCP"
  grep -aq '^udp .*6576696c2d6e6574' "$IS_LOOT" && pass "$WHO: bare: the collector received evil-net's DNS query" \
    || fail "$WHO: bare: no DNS query in the loot: $loot"
  if as_user "$WHO" unshare -U true 2>/dev/null; then
    expect_eq "$WHO: bare: unshare succeeded" "['done']" \
      "$(rq "$BASE/node_modules/evil-syscall/attempts.json" '[x["result"] for x in r if x["name"].startswith("unshare")]')"
  fi
  expect_eq "$WHO: bare: esbuild works (and runs evil-tamper's code)" "let x = 1;|evil-tamper" "$(node_in "$BASE" "$ESBUILD_CHECK")"
  expect_eq "$WHO: bare: the addon loads" "tiny-addon: built natively" "$(node_in "$BASE" "$ADDON_CHECK")"
  echo "note $WHO: $((SECONDS - started)) s"
done
finish
