#!/usr/bin/env bash
# Benchmark (not a test): `airlock install-scripts` against `npm rebuild` of
# the same packages on a real project (issue #25: "builds what npm rebuild
# builds, in comparable time").
#
# The project, in a scratch directory under /var/tmp, depends on registry
# packages whose install scripts build offline once fetched:
#   esbuild 0.28.2         postinstall validates its platform binary
#   bcrypt 5.1.1           node-pre-gyp: compiles its C++ addon (node-addon-api)
#   better-sqlite3 12.9.0  prebuild-install || node-gyp rebuild: compiles SQLite
# It is fetched once with scripts off (network to the registry), then built
# in alternating rounds, each on a fresh copy of node_modules as fetched:
#   bare     npm rebuild PACKAGES, node-gyp against the system's Node headers
#            (npm_config_nodedir, no download) and from source
#            (npm_config_build_from_source: no prebuilt binary downloaded)
#   airlock  airlock install-scripts --allow each of PACKAGES (no network
#            there: the download attempts are refused and they build from
#            source; node-gyp gets the same headers)
# After each build the same files must have been built (the list of files
# the build wrote, the same in every round of both) and must work (bcrypt
# hashes, better-sqlite3 queries, esbuild transforms). Prints the medians
# (wall and CPU time), the ratio airlock / bare, each round's ratio, and the
# seconds of each package's scripts from airlock's report.
#
# usage: install_scripts.sh [AIRLOCK_BINARY]
#   env: ROUNDS=3  PACKAGES="esbuild bcrypt better-sqlite3" (a subset)
#        JSON=FILE       write the medians (alternate.py's JSON) there
#        VARIANTS="NAME=BINARY ..."  more airlock binaries in the same rounds
#                        (e.g. a build with a change to compare)
#        COUNT_CALLS=1   also count, with strace -f, the calls the watch
#                        takes (one seccomp notification each) in one bare build
# Without AIRLOCK_BINARY it builds airlock in Release mode as run.sh does
# (build-bench/).
set -euo pipefail

# --check DIR: run by alternate.py after each build (untimed).
if [[ ${1:-} == --check ]]; then
  work=$2
  cd "$work/project"
  # What the build wrote: every file newer than the copy of node_modules.
  # node-gyp's generated makefiles and config.gypi name the directories
  # they were made in and for; only the names are compared.
  find node_modules -newer "$work/stamp" -type f | sort > "$work/built.$ALTERNATE_NAME"
  if [[ ! -s $work/built.reference ]]; then
    cp "$work/built.$ALTERNATE_NAME" "$work/built.reference"
  elif ! diff -u "$work/built.reference" "$work/built.$ALTERNATE_NAME" >&2; then
    echo "install_scripts.sh: $ALTERNATE_NAME built other files than the first build (above)" >&2
    exit 1
  fi
  # esbuild's postinstall also replaces its JavaScript launcher,
  # bin/esbuild, with a hard link to the platform binary when it can (a
  # link keeps the binary's old time, so the list above misses it):
  # recorded, not compared.
  if [[ -e node_modules/esbuild/bin/esbuild ]]; then
    if [[ $(head -c 4 node_modules/esbuild/bin/esbuild) == $'\x7fELF' ]]; then kind="the platform binary (linked)"
    else kind="the JavaScript launcher"; fi
    echo "$kind" >> "$work/esbuild-bin.$ALTERNATE_NAME"
  fi
  node - "$work/packages" <<'JS'
const packages = require("fs").readFileSync(process.argv[2], "utf8").split(/\s+/).filter(Boolean);
const assert = require("assert");
for (const name of packages) {
  if (name === "esbuild") {
    assert.strictEqual(require("esbuild").transformSync("let x: number = 1", { loader: "ts" }).code, "let x = 1;\n");
  } else if (name === "bcrypt") {
    const bcrypt = require("bcrypt");
    assert(bcrypt.compareSync("secret", bcrypt.hashSync("secret", 4)));
  } else if (name === "better-sqlite3") {
    const Database = require("better-sqlite3");
    assert.strictEqual(new Database(":memory:").prepare("select 41 + 1 as v").get().v, 42);
  }
}
JS
  if [[ $ALTERNATE_NAME == airlock ]]; then
    mv "$work/report.json" "$work/reports/$(date +%s%N).json"
  fi
  rm -f "$work/report.json"
  exit 0
fi

src=$(cd "$(dirname "$0")/../.." && pwd)
self=$(realpath "$0")
ROUNDS=${ROUNDS:-3}
read -r -a packages <<<"${PACKAGES:-esbuild bcrypt better-sqlite3}"
declare -A versions=([esbuild]=0.28.2 [bcrypt]=5.1.1 [better-sqlite3]=12.9.0)
for p in "${packages[@]}"; do
  [[ -n ${versions[$p]:-} ]] || { echo "install_scripts.sh: unknown package $p (one of: ${!versions[*]})" >&2; exit 2; }
done

for c in node npm make c++ python3; do
  command -v "$c" >/dev/null || { echo "install_scripts.sh: $c is needed" >&2; exit 2; }
done
nodedir=$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")
[[ -f $nodedir/include/node/common.gypi ]] \
  || { echo "install_scripts.sh: no Node headers in $nodedir/include/node (Debian: libnode-dev)" >&2; exit 2; }

if [[ -n ${1:-} ]]; then
  A=$(realpath "$1")
else
  # As run.sh builds it: -O2 as Debian builds.
  cmake -S "$src" -B "$src/build-bench" -DCMAKE_BUILD_TYPE=Release "-DCMAKE_CXX_FLAGS_RELEASE=-O2 -DNDEBUG" \
    -DAIRLOCK_TESTS=OFF >/dev/null
  cmake --build "$src/build-bench" -j"$(nproc)" --target airlock >/dev/null
  A=$src/build-bench/airlock
fi

work=$(mktemp -d /var/tmp/airlock-bench-scripts.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/project" "$work/reports"
printf '%s\n' "${packages[@]}" > "$work/packages"
deps=()
for p in "${packages[@]}"; do deps+=("$p=${versions[$p]}"); done
python3 - "$work/project/package.json" "${deps[@]}" <<'PY'
import json, sys
json.dump({"name": "airlock-bench-install-scripts", "version": "1.0.0", "private": True,
           "dependencies": dict(d.split("=", 1) for d in sys.argv[2:])}, open(sys.argv[1], "w"), indent=2)
PY
echo "== fetching ${packages[*]} with scripts off"
(cd "$work/project" && npm install --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null)
mv "$work/project/node_modules" "$work/fetched"

allow=()
for p in "${packages[@]}"; do allow+=(--allow "$p"); done
q() { printf '%q ' "$@"; }
# The CPU time of each build (user + system, of everything it waited for:
# airlock's supervisor and its sandboxes too), when /usr/bin/time is here:
# less moved than wall time by the other work on a shared machine.
cpu() { [[ ! -x /usr/bin/time ]] || q /usr/bin/time -a -o "$work/cpu.$1" -f '%U %S'; }
bare="cd $(q "$work/project") && $(cpu bare)env npm_config_nodedir=$(q "$nodedir") npm_config_build_from_source=true npm rebuild $(q "${packages[@]}")"
sandboxed="cd $(q "$work/project") && $(cpu airlock)$(q "$A") install-scripts --no-project-approvals $(q "${allow[@]}") --report $(q "$work/report.json")"
others=() variant_names=()
for variant in ${VARIANTS:-}; do
  variant_names+=("${variant%%=*}")
  others+=("${variant%%=*}" "cd $(q "$work/project") && $(cpu "${variant%%=*}")$(q "$(realpath "${variant#*=}")") install-scripts --no-project-approvals $(q "${allow[@]}") --report $(q "$work/report.json")")
done
prepare="rm -rf $(q "$work/project/node_modules") && cp -a $(q "$work/fetched") $(q "$work/project/node_modules") && touch $(q "$work/stamp")"

echo "== npm rebuild against airlock install-scripts, ${packages[*]}: $ROUNDS alternating rounds (load: $(cut -d' ' -f1-3 /proc/loadavg))"
python3 "$src/integration/bench/alternate.py" --rounds "$ROUNDS" --json "$work/times.json" \
  --prepare "$prepare" --check "$(q bash "$self" --check "$work")" \
  bare "$bare" airlock "$sandboxed" "${others[@]}"
[[ -z ${JSON:-} ]] || cp "$work/times.json" "$JSON"
echo "   built the same $(wc -l < "$work/built.reference") files in every round (load now: $(cut -d' ' -f1-3 /proc/loadavg))"
for name in bare airlock "${variant_names[@]}"; do
  [[ ! -e $work/esbuild-bin.$name ]] || echo "   $name: esbuild/bin/esbuild is $(sort -u "$work/esbuild-bin.$name" | paste -sd/)"
done

python3 - "$work/times.json" "$work/reports" "$work" <<'PY'
import glob, json, os, statistics, sys
res = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
bare, sandboxed = res["bare"]["median"], res["airlock"]["median"]
cpu = {}
for name in res:
    path = os.path.join(sys.argv[3], f"cpu.{name}")
    if os.path.exists(path):
        cpu[name] = statistics.median(sum(map(float, line.split())) for line in open(path) if line.strip())
print(f"\n{'':10} {'wall median':>11} {'min':>8} {'/ bare':>7} {'CPU median':>11} {'/ bare':>7}")
for name, r in res.items():
    c = f"{cpu[name]:10.2f}s {cpu[name] / cpu['bare']:7.3f}" if name in cpu and "bare" in cpu else ""
    print(f"{name:10} {r['median']:10.2f}s {r['min']:7.2f}s {r['median'] / bare:7.3f} {c}")
print(f"airlock / bare: {sandboxed / bare:.3f}")
scripts = {}
for report in sorted(glob.glob(os.path.join(sys.argv[2], "*.json"))):
    for pkg in json.load(open(report))["packages"]:
        for s in pkg.get("scripts", []):
            if "seconds" in s:
                scripts.setdefault(f"{pkg['name']} {s['event']}", []).append(s["seconds"])
print("\nairlock's report, each package's script (median seconds):")
for name, secs in scripts.items():
    print(f"  {name:32} {statistics.median(secs):7.2f}s")
print(f"  {'(airlock itself, the rest)':32} {sandboxed - sum(statistics.median(s) for s in scripts.values()):7.2f}s")
print(f"RESULT install_scripts_wall_ratio {sandboxed / bare:.3f}")
if "airlock" in cpu and "bare" in cpu:
    print(f"RESULT install_scripts_cpu_ratio {cpu['airlock'] / cpu['bare']:.3f}")
PY

if [[ -n ${COUNT_CALLS:-} ]]; then
  command -v strace >/dev/null || { echo "install_scripts.sh: COUNT_CALLS needs strace" >&2; exit 2; }
  # The calls the watch takes (launcher/audit/calls.cpp), in one bare build:
  # each is a round trip to the supervisor under airlock.
  watched=open,openat,openat2,creat,execve,execveat,mkdir,mkdirat,mknod,mknodat,unlink,unlinkat,rmdir,rename,renameat,renameat2
  watched+=,link,linkat,symlink,symlinkat,truncate,chmod,fchmodat,chown,lchown,fchownat,utime,utimes,futimesat,utimensat
  watched+=,setxattr,lsetxattr,removexattr,lremovexattr,connect,bind,sendto,listen,fork,vfork,clone,chdir,fchdir
  bash -c "$prepare"
  echo "== the calls the watch takes, in one bare npm rebuild (strace -f -c)"
  strace -f -qq -c -S calls -e trace="$watched" -o "$work/strace.txt" bash -c "$bare" >/dev/null 2>&1
  head -n 14 "$work/strace.txt"
  tail -n 1 "$work/strace.txt"
fi
