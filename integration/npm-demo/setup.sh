#!/usr/bin/env bash
# Builds the npm demo's world under $1: a home full of planted credentials,
# a collector server, and a project whose lockfile has a real registry
# package and a local package with a poisoned install script. Prints the
# variables to eval: DEMO_HOME, DEMO_PROJECT, DEMO_COLLECTOR_PORT,
# DEMO_COLLECTOR_PID, DEMO_LOOT.
set -euo pipefail
root=$1
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$root/home/.ssh" "$root/home/.aws" "$root/home/.config/gh" "$root/project"
echo "-----BEGIN OPENSSH PRIVATE KEY----- planted-ssh-key" > "$root/home/.ssh/id_rsa"
printf '//registry.invalid/:_authToken=planted-npmrc-token\n' > "$root/home/.npmrc"
printf '[default]\naws_secret_access_key = planted-aws-secret\n' > "$root/home/.aws/credentials"
echo "oauth_token: planted-gh-token" > "$root/home/.config/gh/hosts.yml"
chmod -R go-rwx "$root/home"
# The user's real npm configuration (registry, auth) stays npm's business;
# the planted ~/.npmrc above holds no registry setting.
(cd "$here/evil-pkg" && npm pack --silent --pack-destination "$root/project" >/dev/null)
cat > "$root/project/package.json" <<'JSON'
{ "name": "victim-app", "version": "1.0.0", "private": true,
  "dependencies": { "is-number": "7.0.0", "evil-pkg": "file:evil-pkg-1.0.0.tgz" } }
JSON
(cd "$root/project" && npm install --package-lock-only --ignore-scripts --no-audit --no-fund >/dev/null 2>&1)
: > "$root/loot.txt"
python3 "$here/collector.py" 0 "$root/loot.txt" > "$root/collector.port" &
pid=$!
for _ in $(seq 50); do [[ -s "$root/collector.port" ]] && break; sleep 0.1; done
echo "DEMO_HOME=$root/home DEMO_PROJECT=$root/project DEMO_COLLECTOR_PORT=$(cat "$root/collector.port") DEMO_COLLECTOR_PID=$pid DEMO_LOOT=$root/loot.txt"
