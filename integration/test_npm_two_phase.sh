#!/usr/bin/env bash
# ctest-labels: sanitize
# The two-phase npm install against a realistic malicious dependency, as a
# new user would run it, as root and as uid 65534:
#   airlock run --profile npm-ci      -- npm ci        (fetch: registry only, no scripts)
#   airlock run --profile npm-scripts -- npm rebuild   (scripts: no network, no tokens)
# Secrets are planted where install scripts look (env tokens, ~/.npmrc,
# ~/.ssh, ~/.aws, ~/.config/gh, /run/secrets) and a collector listens on the
# host's loopback. Nothing may reach it, the install must succeed (a real
# package from the configured registry, through the gateway), and the
# reports must say what was blocked.
source "$(dirname "$0")/lib.sh"
command -v npm >/dev/null || skip "npm is not installed"
command -v node >/dev/null || skip "node is not installed"

setup_world() {  # setup_world WHO -> DEMO_* variables
  local who=$1
  local root="$SCRATCH/npm-$who"
  mkdir -p "$root"
  eval "$(bash "$AIRLOCK_SRC/integration/npm-demo/setup.sh" "$root")"
  COLLECTORS+=("$DEMO_COLLECTOR_PID")
  mkdir -p "$root/reports"
  chmod 755 "$root"
  REPORTS="$root/reports"
  [[ $who == root ]] || chown -R $NOBODY:$NOBODY "$root/home" "$root/project" "$REPORTS"
}
COLLECTORS=()
cleanup_collectors() { kill "${COLLECTORS[@]}" 2>/dev/null; rm -f "$SECRET_FILE"; cleanup_scratch; }
trap cleanup_collectors EXIT

# A mounted secret, as Kubernetes and Docker provide them (root may create it).
SECRET_FILE=""
if [[ $(id -u) -eq 0 && ! -e /run/secrets/token ]]; then
  mkdir -p /run/secrets && echo planted-mounted-secret > /run/secrets/token && chmod 644 /run/secrets/token
  SECRET_FILE=/run/secrets/token
fi

for who in root nobody; do
  setup_world "$who"
  token="npm_$(head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n')"
  airlock_as() {
    (cd "$DEMO_PROJECT" && as_user "$who" env HOME="$DEMO_HOME" PATH=/usr/bin:/bin NPM_TOKEN="$token" \
      GITHUB_TOKEN="ghp_planted0000000000000000000000000000" AWS_SECRET_ACCESS_KEY=planted-aws-env \
      DEMO_COLLECTOR_PORT="$DEMO_COLLECTOR_PORT" "$AIRLOCK" "$@")
  }
  out=$(airlock_as run --report "$REPORTS/ci.json" --profile npm-ci -- npm ci --no-audit --no-fund 2>&1)
  expect_eq "$who: npm ci under npm-ci succeeds" 0 $?
  [[ -f $DEMO_PROJECT/node_modules/is-number/package.json ]] && pass "$who: the registry package was fetched" \
    || fail "$who: is-number missing: $out"
  [[ -f $DEMO_PROJECT/node_modules/evil-pkg/package.json ]] && pass "$who: the local package was installed" \
    || fail "$who: evil-pkg missing"
  [[ ! -e $DEMO_PROJECT/node_modules/evil-pkg/steal-report.json ]] && pass "$who: no install script ran in the fetch phase" \
    || fail "$who: an install script ran during npm ci"
  allowed=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["network"]["connections"]["allowed"])' "$REPORTS/ci.json")
  [[ $allowed -ge 1 ]] && pass "$who: the registry was reached through the gateway ($allowed connections)" \
    || fail "$who: report shows no allowed connection"

  out=$(airlock_as run --report "$REPORTS/scripts.json" --keep-env DEMO_COLLECTOR_PORT --profile npm-scripts \
        -- npm rebuild --foreground-scripts 2>&1)
  expect_eq "$who: npm rebuild under npm-scripts succeeds" 0 $?
  report="$DEMO_PROJECT/node_modules/evil-pkg/steal-report.json"
  [[ -f $report ]] && pass "$who: the install script ran in the script phase" || fail "$who: the script did not run: $out"
  expect_eq "$who: its legitimate build output was written" "built" \
    "$(cat "$DEMO_PROJECT/node_modules/evil-pkg/build-output.txt" 2>/dev/null)"
  leaked=$(python3 -c 'import json,sys; print(",".join(r["name"] for r in json.load(open(sys.argv[1])) if r["leaked"]))' "$report")
  expect_eq "$who: no attempt leaked anything" "" "$leaked"
  for attempt in "env NPM_TOKEN|environment scrub" "file ~/.npmrc|" "file ~/.ssh/id_rsa|" "file ~/.aws/credentials|" \
                 "send over HTTP|network namespace" "send over DNS|DNS stub" "write ~/.bashrc|"; do
    name=${attempt%%|*} layer=${attempt#*|}
    by=$(python3 -c 'import json,sys; print([r.get("by","") for r in json.load(open(sys.argv[1])) if r["name"]==sys.argv[2]][0])' "$report" "$name")
    expect_contains "$who: '$name' blocked by a layer ($by)" "$by" "$layer"
  done
  expect_eq "$who: the collector received nothing" "" "$(cat "$DEMO_LOOT")"
  grep -q "$token" "$REPORTS/ci.json" "$REPORTS/scripts.json" && fail "$who: a report holds the token" \
    || pass "$who: no report holds the token"
  dropped=$(python3 -c 'import json,sys; print(" ".join(d["name"] for d in json.load(open(sys.argv[1]))["environment"]["dropped"]))' "$REPORTS/scripts.json")
  expect_contains "$who: the script-phase report lists NPM_TOKEN as dropped" "$dropped" "NPM_TOKEN"
  out=$(cd "$DEMO_PROJECT" && as_user "$who" node -e 'console.log(require("is-number")(5), require("evil-pkg")())')
  expect_eq "$who: the installed packages work" "true evil-pkg works" "$out"
done
finish
