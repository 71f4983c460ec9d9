#!/usr/bin/env bash
# ctest-labels: sanitize
# Audit round trips on real workloads, as root and as uid 65534:
#   - `npm install` of a LOCAL package (a file: tarball) whose install and
#     postinstall scripts run, offline (no registry, no network);
#   - a make/cc build of a small C project that uses headers from outside
#     the project and keeps a cache under the home directory;
#   - a Python script that reads files outside the project and talks to a
#     server on the host's loopback.
# Each is audited with the default profile as base; the generated profile
# must be minimal (no /, no home directory or anything above it, no known
# secret), must load, must let the same command succeed on a clean re-run,
# and must not let the command additionally read a secret or reach a host
# service it did not use.
source "$(dirname "$0")/lib.sh"

grep -q user_notif /proc/sys/kernel/seccomp/actions_avail 2>/dev/null ||
  skip "seccomp user notification (SECCOMP_RET_USER_NOTIF) is not available"
for tool in node npm cc make /usr/bin/python3; do
  command -v "$tool" >/dev/null || skip "$tool is not installed"
done

# Problems of a generated profile's filesystem entries: "/", the home
# directory or a directory above it, anything naming a known secret.
problems() {
  /usr/bin/python3 - "$1" "$FAKE_HOME" "$PROJECT" <<'EOF'
import sys, tomllib
path, home, project = sys.argv[1:4]
doc = tomllib.load(open(path, "rb"))
secrets = (".ssh", ".aws", ".npmrc", ".gnupg", ".config/gh", "/etc/shadow", ".git-credentials", ".netrc")
bad = []
for key in ("read", "write", "exec"):
    for entry in doc.get("filesystem", {}).get(key, []):
        p = entry.lstrip("?").replace("${home}", home).replace("${project}", project).rstrip("/") or "/"
        if p == "/" or home == p or home.startswith(p + "/"):
            bad.append(f"{key}:{entry} (/ or home)")
        if any(s in p for s in secrets):
            bad.append(f"{key}:{entry} (secret)")
print(" ".join(bad))
EOF
}

# Connections to anything but loopback in an audit report (there must be none here).
outside_connections() {
  /usr/bin/python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
print(" ".join(c["to"] for c in d["audit"]["network"]["connections"]
               if not (c["to"].startswith("127.") or c["to"].startswith("[::1]"))))' "$1"
}

check_generated() {  # WHO NAME FILE REPORT
  local who=$1 name=$2 file=$3 report=$4
  expect_eq "$who: $name: the generated profile is minimal" "" "$(problems "$file")"
  expect_eq "$who: $name: the audit made no connection beyond loopback" "" "$(outside_connections "$report")"
  as_user "$who" "$AIRLOCK" check "$file" >/dev/null 2>&1
  expect_eq "$who: $name: the generated profile loads" 0 $?
}

# A server on the host's loopback that echoes what it gets; prints its port.
start_echo_server() {
  local portfile=$1
  /usr/bin/python3 -c '
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 0)); s.listen(8)
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
while True:
    c, _ = s.accept(); c.sendall(b"echo " + c.recv(100)); c.close()' "$portfile" &
  SERVERS+=($!)
  for _ in $(seq 50); do [[ -s $portfile ]] && break; sleep 0.1; done
}
SERVERS=()
stop_servers() { for pid in "${SERVERS[@]}"; do kill "$pid" 2>/dev/null; done; }
trap 'stop_servers; cleanup_scratch' EXIT

# Is the egress gateway in this build (network.forward reaches the host)?
gateway_err=$("$AIRLOCK" -q run --allow-net 127.0.0.1:1 -- true 2>&1)
if [[ $gateway_err == *"egress gateway"* ]]; then HAVE_GATEWAY=0; else HAVE_GATEWAY=1; fi

start_echo_server "$SCRATCH/port1"
start_echo_server "$SCRATCH/port2"
PORT1=$(cat "$SCRATCH/port1")
PORT2=$(cat "$SCRATCH/port2")

for who in root nobody; do
  make_fixture "$who"
  OUT="$SCRATCH/$who/out"
  mkdir -p "$OUT" && chmod 777 "$OUT"
  in_project() { local dir=$1; shift; (cd "$dir" && as_user "$who" env HOME="$FAKE_HOME" PATH=/usr/bin:/bin "$@"); }
  # The same with HOME a new, empty directory (fresh_home WHO makes it).
  in_project_fresh() { local dir=$1; shift; (cd "$dir" && as_user "$who" env HOME="$FRESH_HOME" PATH=/usr/bin:/bin "$@"); }
  fresh_home() {
    FRESH_HOME="$SCRATCH/$1/fresh-home-$RANDOM"
    mkdir -m 700 "$FRESH_HOME"
    [[ $1 == root ]] || chown "$NOBODY:$NOBODY" "$FRESH_HOME"
  }

  # ---------------------------------------------------------------- npm
  NPM="$SCRATCH/$who/npm-proj"
  mkdir -p "$NPM/local-pkg"
  cat > "$NPM/local-pkg/package.json" <<'EOF'
{"name": "local-pkg", "version": "1.0.0",
 "scripts": {"install": "node install.js", "postinstall": "node postinstall.js"}}
EOF
  cat > "$NPM/local-pkg/install.js" <<'EOF'
const fs = require('fs'), os = require('os'), path = require('path');
fs.writeFileSync(path.join(__dirname, 'built.txt'), 'built by ' + process.version + '\n');
const cache = path.join(os.homedir(), '.cache', 'local-pkg');
fs.mkdirSync(cache, { recursive: true });
fs.writeFileSync(path.join(cache, 'stamp'), 'ok\n');
EOF
  echo "require('fs').writeFileSync(require('path').join(__dirname, 'post.txt'), 'post\n');" > "$NPM/local-pkg/postinstall.js"
  # The project's own npm configuration: offline, a registry nobody
  # listens on, nothing that phones home.
  printf 'offline=true\nregistry=http://127.0.0.1:9/\nupdate-notifier=false\naudit=false\nfund=false\n' > "$NPM/.npmrc"
  echo '{"name": "proj", "version": "1.0.0", "private": true,
 "dependencies": {"local-pkg": "file:local-pkg-1.0.0.tgz"}}' > "$NPM/package.json"
  [[ $who == root ]] || chown -R $NOBODY:$NOBODY "$NPM"
  in_project "$NPM/local-pkg" npm pack --silent >/dev/null 2>&1 && mv "$NPM/local-pkg/local-pkg-1.0.0.tgz" "$NPM/"
  npm_clean() { rm -rf "$NPM/node_modules" "$NPM/package-lock.json" "$FAKE_HOME/.cache/local-pkg/stamp"; }

  in_project "$NPM" "$AIRLOCK" -q audit -o "$OUT/npm.toml" --report "$OUT/npm.json" -- npm install >/dev/null 2>&1
  expect_eq "$who: npm: audit of npm install succeeds" 0 $?
  expect_eq "$who: npm: the install script ran" yes "$([[ -f $NPM/node_modules/local-pkg/built.txt ]] && echo yes)"
  check_generated "$who" npm "$OUT/npm.toml" "$OUT/npm.json"
  gen=$(cat "$OUT/npm.toml")
  expect_contains "$who: npm: npm's cache is granted by directory, created when missing" "$gen" '"+${home}/.npm"'
  expect_contains "$who: npm: the install script's cache is granted" "$gen" '"+${home}/.cache/local-pkg"'
  expect_contains "$who: npm: ~/.npmrc is reported as a secret touched" "$gen" '${home}/.npmrc: read'

  npm_clean
  in_project "$NPM" "$AIRLOCK" -q run -- npm install >/dev/null 2>&1
  expect_ne_zero=$?
  [[ $expect_ne_zero -ne 0 ]] && pass "$who: npm: the base alone refuses npm install" ||
    fail "$who: npm: the base alone let npm install succeed: the audit proved nothing"
  npm_clean
  in_project "$NPM" "$AIRLOCK" -q run --profile "$OUT/npm.toml" -- npm install >/dev/null 2>&1
  expect_eq "$who: npm: round trip: npm install succeeds under the generated profile" 0 $?
  expect_eq "$who: npm: round trip: the install script ran" yes \
    "$([[ -f $NPM/node_modules/local-pkg/post.txt && -f $FAKE_HOME/.cache/local-pkg/stamp ]] && echo yes)"
  # A fresh machine: a home with nothing in it, not even the caches the
  # audit saw created; the profile creates them.
  npm_clean
  fresh_home "$who"
  in_project_fresh "$NPM" "$AIRLOCK" -q run --profile "$OUT/npm.toml" -- npm install >/dev/null 2>&1
  expect_eq "$who: npm: on a fresh home: npm install succeeds under the generated profile" 0 $?
  expect_eq "$who: npm: on a fresh home: the caches were created, owned by the user, 0700" \
    "$(id -u "$([[ $who == root ]] && echo root || echo nobody)") 700 $(id -u "$([[ $who == root ]] && echo root || echo nobody)") 700" \
    "$(stat -c '%u %a' "$FRESH_HOME/.npm" "$FRESH_HOME/.cache/local-pkg" 2>&1 | tr '\n' ' ' | sed 's/ $//')"
  out=$(in_project "$NPM" "$AIRLOCK" -q run --profile "$OUT/npm.toml" -- \
        node -e "console.log(require('fs').readFileSync(process.env.HOME + '/.ssh/id_rsa', 'utf8'))" 2>&1)
  expect_eq "$who: npm: reading a secret fails under the generated profile" 1 $?
  expect_not_contains "$who: npm: and shows nothing of it" "$out" planted-

  # ------------------------------------------------------------ make/cc
  C="$SCRATCH/$who/c-proj"
  SDK="$SCRATCH/$who/sdk"
  mkdir -p "$C/src" "$SDK/include"
  echo 'int add(int a, int b);' > "$SDK/include/sdk.h"
  echo '#include "sdk.h"
int add(int a, int b) { return a + b; }' > "$C/src/add.c"
  echo '#include <stdio.h>
#include "sdk.h"
int main(void) { printf("%d\n", add(2, 3)); return 0; }' > "$C/src/main.c"
  cat > "$C/Makefile" <<EOF
CFLAGS = -O1 -I$SDK/include
CACHE = \$(HOME)/.cache/cbuild
all: build/app
	mkdir -p \$(CACHE) && cp build/app \$(CACHE)/app
	./build/app
build/app: build/main.o build/add.o
	\$(CC) -o \$@ \$^
build/%.o: src/%.c | build
	\$(CC) \$(CFLAGS) -c -o \$@ \$<
build:
	mkdir -p build
clean:
	rm -rf build
EOF
  chmod -R a+rX "$SDK"
  [[ $who == root ]] || chown -R $NOBODY:$NOBODY "$C"

  out=$(in_project "$C" "$AIRLOCK" -q audit -o "$OUT/make.toml" --report "$OUT/make.json" -- make 2>&1)
  expect_eq "$who: make: audit of the build succeeds" 0 $?
  expect_contains "$who: make: the program built and ran" "$out" 5
  check_generated "$who" make "$OUT/make.toml" "$OUT/make.json"
  gen=$(cat "$OUT/make.toml")
  expect_contains "$who: make: the headers outside the project are granted" "$gen" "\"$SDK\""
  expect_contains "$who: make: the build cache is granted by directory, created when missing" "$gen" \
    '"+${home}/.cache/cbuild"'
  in_project "$C" make clean >/dev/null
  in_project "$C" "$AIRLOCK" -q audit -o "$OUT/make2.toml" -- make >/dev/null 2>&1
  if cmp -s "$OUT/make.toml" "$OUT/make2.toml"; then pass "$who: make: auditing the same build again gives the same profile"
  else fail "$who: make: the second audit differs: $(diff "$OUT/make.toml" "$OUT/make2.toml")"; fi

  in_project "$C" make clean >/dev/null
  out=$(in_project "$C" "$AIRLOCK" -q run --profile "$OUT/make.toml" -- make 2>&1)
  expect_eq "$who: make: round trip: the clean build succeeds under the generated profile" 0 $?
  expect_contains "$who: make: round trip: and the program runs" "$out" 5
  in_project "$C" make clean >/dev/null
  fresh_home "$who"
  out=$(in_project_fresh "$C" "$AIRLOCK" -q run --profile "$OUT/make.toml" -- make 2>&1)
  expect_eq "$who: make: on a fresh home: the build succeeds under the generated profile" 0 $?
  expect_eq "$who: make: on a fresh home: its cache was created" yes "$([[ -x $FRESH_HOME/.cache/cbuild/app ]] && echo yes)"
  # An earlier step left ~/.cache a link to elsewhere: the directory is not
  # made through it (nothing a step wrote is followed outside the sandbox).
  in_project "$C" make clean >/dev/null
  fresh_home "$who"
  ln -s "$SCRATCH/$who/elsewhere" "$FRESH_HOME/.cache"
  err=$(in_project_fresh "$C" "$AIRLOCK" run --profile "$OUT/make.toml" -- true 2>&1)
  expect_eq "$who: make: a planted link: nothing is made where it leads" no \
    "$([[ -e $SCRATCH/$who/elsewhere ]] && echo yes || echo no)"
  expect_contains "$who: make: a planted link: the run says why the cache stays unwritable" "$err" \
    ".cache: a link or a file, not followed"
  in_project "$C" make clean >/dev/null
  in_project "$C" "$AIRLOCK" -q run --profile "$OUT/make.toml" -- sh -c 'make >/dev/null && cat ~/.aws/credentials' >/dev/null 2>&1
  expect_eq "$who: make: a build that also reads a secret fails" 1 $?

  # ------------------------------------------------- python + loopback
  PY="$SCRATCH/$who/py-proj"
  DATA="$SCRATCH/$who/py-data"
  mkdir -p "$PY" "$DATA/sets"
  echo payload > "$DATA/sets/input.txt"
  cat > "$PY/client.py" <<EOF
import os, socket, sys
data = open("$DATA/sets/input.txt").read().strip()
with socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5) as s:
    s.sendall(data.encode())
    reply = s.recv(100).decode()
os.makedirs("out", exist_ok=True)
open("out/result.txt", "w").write(reply)
print(reply)
EOF
  chmod -R a+rX "$DATA"
  [[ $who == root ]] || chown -R $NOBODY:$NOBODY "$PY"

  out=$(in_project "$PY" "$AIRLOCK" -q audit -o "$OUT/py.toml" --report "$OUT/py.json" -- /usr/bin/python3 client.py "$PORT1" 2>&1)
  expect_eq "$who: python: audit of the client succeeds" 0 $?
  expect_eq "$who: python: it reached the host's server while audited" "echo payload" "$out"
  check_generated "$who" python "$OUT/py.toml" "$OUT/py.json"
  gen=$(cat "$OUT/py.toml")
  expect_contains "$who: python: the data directory is granted" "$gen" "\"$DATA\""
  expect_contains "$who: python: the host service becomes a forward entry" "$gen" "forward = [\"127.0.0.1:$PORT1\"]"
  expect_not_contains "$who: python: no allowlist for a loopback service" "$gen" allowlist

  rm -rf "$PY/out"
  out=$(in_project "$PY" "$AIRLOCK" -q run --profile "$OUT/py.toml" -- /usr/bin/python3 client.py "$PORT1" 2>&1)
  status=$?
  if [[ $HAVE_GATEWAY == 1 ]]; then
    expect_eq "$who: python: round trip: the client succeeds under the generated profile" 0 $status
    expect_eq "$who: python: round trip: through the forward" "echo payload" "$out"
  else
    # Without the gateway no network.forward reaches the host: only the file
    # half of the round trip can be checked.
    echo "note $who: python: this build has no egress gateway; network.forward cannot be exercised"
    expect_contains "$who: python: round trip: the files were readable, only the connection failed" "$out" \
      "ConnectionRefusedError"
  fi
  out=$(in_project "$PY" "$AIRLOCK" -q run --profile "$OUT/py.toml" -- /usr/bin/python3 client.py "$PORT2" 2>&1)
  expect_eq "$who: python: a service the command did not use stays unreachable" 1 $?
  expect_not_contains "$who: python: no reply from it" "$out" "echo payload"
done
finish
