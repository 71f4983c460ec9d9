#!/usr/bin/env bash
# Builds the world of airlock's install-scripts test under $1 (an empty or
# absent directory): a home with planted credentials, a collector listening on
# the host's loopback, and a project whose dependencies are esbuild (a registry
# package with a postinstall), a native addon built by node-gyp, and hostile
# local packages packed into the project as file: tarballs. Nothing is
# installed: the caller runs `npm ci` with scripts off. Prints the variables to
# eval: IS_HOME IS_PROJECT IS_LOOT IS_COLLECTOR_PORT IS_COLLECTOR_PID
# IS_NPMRC_TOKEN IS_SSH_KEY IS_DOTENV_SECRET.
#
# project/package-lock.json is committed: registry packages pinned with their
# integrity and no registry address (npm resolves them against the registry
# it is configured with), the local tarballs without an integrity, because
# they are packed here with the collector's port in them. To regenerate it
# after changing a package or a dependency:
#   bash integration/install-scripts/setup.sh --lockfile > integration/install-scripts/project/package-lock.json
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

# pack_into DIR PORT: npm pack each package of packages/ into DIR, with the
# collector's port written into it as collector.json.
pack_into() {
  local dest=$1 port=$2 src
  src=$(mktemp -d)
  cp -r "$here/packages/." "$src/"
  for pkg in "$src"/*/; do
    [[ $(basename "$pkg") != evil-* ]] || printf '{"port": %s}\n' "$port" > "$pkg/collector.json"
    (cd "$pkg" && npm pack --silent --pack-destination "$dest" >/dev/null)
  done
  rm -rf "$src"
}

if [[ ${1:-} == --lockfile ]]; then
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  cp "$here/project/package.json" "$work/"
  pack_into "$work" 9
  (cd "$work" && HOME="$work" npm install --package-lock-only --ignore-scripts --no-audit --no-fund \
     --omit-lockfile-registry-resolved >/dev/null 2>&1)
  python3 - "$work/package-lock.json" <<'PY'
import json, sys
lock = json.load(open(sys.argv[1]))
for entry in lock["packages"].values():
    if entry.get("resolved", "").startswith("file:"):
        entry.pop("integrity", None)
print(json.dumps(lock, indent=2))
PY
  exit 0
fi

root=$1
mkdir -p "$root/home/.ssh" "$root/project"
rand() { head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n'; }
npmrc_token="npm_planted$(rand)"
ssh_key="planted-ssh-key-$(rand)"
dotenv_secret="planted-dotenv-$(rand)"
printf '//registry.invalid/:_authToken=%s\n' "$npmrc_token" > "$root/home/.npmrc"
printf -- '-----BEGIN OPENSSH PRIVATE KEY-----\n%s\n-----END OPENSSH PRIVATE KEY-----\n' "$ssh_key" > "$root/home/.ssh/id_rsa"
chmod -R go-rwx "$root/home"
printf 'DATABASE_URL=postgres://app:%s@db/app\n' "$dotenv_secret" > "$root/project/.env"

: > "$root/loot.txt"
python3 "$here/collector.py" "$root/loot.txt" > "$root/collector.port" &
pid=$!
for _ in $(seq 50); do [[ -s "$root/collector.port" ]] && break; sleep 0.1; done
port=$(cat "$root/collector.port")
[[ -n $port ]] || { echo "setup.sh: the collector did not start" >&2; exit 1; }

cp "$here/project/package.json" "$here/project/package-lock.json" "$root/project/"
pack_into "$root/project" "$port"
echo "IS_HOME=$root/home IS_PROJECT=$root/project IS_LOOT=$root/loot.txt IS_COLLECTOR_PORT=$port" \
     "IS_COLLECTOR_PID=$pid IS_NPMRC_TOKEN=$npmrc_token IS_SSH_KEY=$ssh_key IS_DOTENV_SECRET=$dotenv_secret"
