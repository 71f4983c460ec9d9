#!/usr/bin/env bash
# airlock's benchmarks against its peers, measured in the same run on the
# same machine. Installs what it needs (bubblewrap, firejail, hyperfine),
# builds airlock in Release mode, prints a table of medians and ratios and
# writes it as JSON (bench-results.json, or $1).
set -euo pipefail
cd "$(dirname "$0")/../.."
out_json=${1:-$PWD/bench-results.json}
bash packaging/deps.sh
need=()
for p in bubblewrap firejail hyperfine; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || need+=("$p"); done
if ((${#need[@]})); then DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null; fi

# -O2 as Debian builds; GCC 12 at -O3 reports false -Wrestrict and
# -Wmaybe-uninitialized inside libstdc++ (GCC bug 105329) and -Werror stops.
cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release "-DCMAKE_CXX_FLAGS_RELEASE=-O2 -DNDEBUG" -DAIRLOCK_TESTS=OFF >/dev/null
cmake --build build-bench -j"$(nproc)" --target airlock >/dev/null
work=$(mktemp -d /var/tmp/airlock-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
install -m 755 build-bench/airlock "$work/airlock"
A="$work/airlock"
cd "$work"

results=()   # "name|median_s|baseline_name"
median_of() {  # hyperfine JSON -> median seconds of result $2
  python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["results"][int(sys.argv[2])]["median"])' "$1" "$2"
}

# In alternating rounds of hyperfine batches (10 rounds of 10 runs each by
# default), not one series per tool: the machine's speed drifts within a
# minute, and a ratio of two series taken minutes apart measures the drift.
echo "== start-up (/bin/true), medians over ${STARTUP_ROUNDS:-10} alternating rounds of ${STARTUP_RUNS:-10} runs"
python3 "$OLDPWD/integration/bench/alternate.py" --rounds "${STARTUP_ROUNDS:-10}" --hyperfine "${STARTUP_RUNS:-10}" \
  --over-others --json startup.json \
  airlock "$A run -- /bin/true" \
  bwrap "bwrap --unshare-all --die-with-parent --new-session --ro-bind / / --proc /proc --dev /dev --tmpfs /tmp /bin/true" \
  firejail "firejail --quiet --noprofile --net=none /bin/true" \
  unshare "unshare -Urmpn --fork /bin/true"
for i in 0 1 2 3; do
  name=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["results"][int(sys.argv[2])]["command"])' startup.json $i)
  results+=("startup/$name|$(median_of startup.json $i)")
done
# User and system CPU per run of each tool's whole process tree (hyperfine's
# getrusage of the children it waited for), for the CPU targets.
python3 -c 'import json,sys
for r in json.load(open(sys.argv[1]))["results"]: print("CPU", r["command"], r["user"], r["system"])' startup.json > cpu.txt

# What @npm-registries and @pip-indexes add to resolving a profile (read
# from the package managers' configuration files, no npm or python
# started): explain of npm-ci and pip-install against default. An upper
# bound: the two profiles also have more rules of their own.
echo "== profiles with @npm-registries / @pip-indexes: airlock explain, against the default profile"
python3 "$OLDPWD/integration/bench/alternate.py" --rounds "${STARTUP_ROUNDS:-10}" --hyperfine "${STARTUP_RUNS:-10}" \
  --json registries.json \
  default "$A explain -p default" npm-ci "$A explain -p npm-ci" pip-install "$A explain -p pip-install"
for i in 0 1 2; do
  name=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["results"][int(sys.argv[2])]["command"])' registries.json $i)
  results+=("explain/$name|$(median_of registries.json $i)")
done

echo "== steady state: syscall loops, bare vs airlock run --profile ci-step"
cc -O2 -o syscalls "$OLDPWD/integration/bench/syscalls.c"
./syscalls > bare.txt
"$A" run --profile ci-step -- ./syscalls > sandboxed.txt

# A Debian source package unpacked into ./DIR: deb-src entries for the
# mirrors this machine already uses, in a private apt state directory, so
# the system's apt configuration is untouched. The release's own source when
# the newest (a security update's) is not on the mirror: any version is the
# same benchmark.
apt_ready=""
fetch_source() {  # fetch_source PACKAGE DIR
  [[ -d $2 ]] && return 0
  local codename
  codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
  apt_opts=(-o Dir::Etc::SourceList=/dev/null -o Dir::Etc::SourceParts="$work/apt/parts" -o Dir::State::Lists="$work/apt/lists")
  if [[ -z $apt_ready ]]; then
    mkdir -p apt/lists/partial apt/parts
    for f in /etc/apt/sources.list.d/*.sources; do
      [[ -e $f ]] && sed 's/^Types: deb$/Types: deb deb-src/' "$f" > "apt/parts/$(basename "$f")"
    done
    [[ -e /etc/apt/sources.list ]] && sed -n 's/^deb /deb-src /p' /etc/apt/sources.list > apt/parts/legacy.list
    apt-get "${apt_opts[@]}" update -qq >/dev/null 2>&1 || return 1
    apt_ready=1
  fi
  mkdir -p "src-$1" && (
    cd "src-$1" &&
      { apt-get "${apt_opts[@]}" source -qq --download-only "$1" >/dev/null 2>&1 ||
        { [[ -n $codename ]] && apt-get "${apt_opts[@]}" source -qq --download-only "$1/$codename" >/dev/null 2>&1; }; } &&
      dpkg-source -x --no-check ./*.dsc "../$2" >/dev/null 2>&1
  )
}

# build_bench NAME DIR PREPARE BUILD: alternating rounds of a build bare and
# under ci-step (not hyperfine's one series after the other: the target is
# 3 %, and this machine's speed drifts by more than that).
build_bench() {
  make -C "$2" -j2 "${@:4}" >/dev/null  # warm the caches once
  python3 "$OLDPWD/integration/bench/alternate.py" --rounds "${BUILD_ROUNDS:-12}" --json "$1.json" \
    --prepare "make -C $2 $3 >/dev/null 2>&1" \
    bare "make -C $2 -j2 ${*:4}" airlock "$A run --profile ci-step -- make -C $2 -j2 ${*:4}"
  results+=("$1/bare|$(median_of "$1.json" 0)" "$1/airlock|$(median_of "$1.json" 1)")
}

echo "== a real C build (zlib from Debian's source package, make -j2), bare vs ci-step"
if fetch_source zlib zlib; then
  (cd zlib && ./configure >/dev/null)
  build_bench build zlib clean libz.a
else
  echo "   (skipped: the zlib source package could not be fetched)"
fi

echo "== a second C build (Lua from Debian's source package: liblua.a, make -j2), bare vs ci-step"
lua_pkg=$(apt-cache search --names-only '^lua5\.[0-9]$' 2>/dev/null | awk '{print $1}' | sort -V | tail -1)
if [[ -n $lua_pkg ]] && fetch_source "$lua_pkg" lua; then
  build_bench build-lua lua/src clean a
else
  echo "   (skipped: no Lua source package could be fetched)"
fi

echo "== install scripts of a real project, npm rebuild vs airlock install-scripts (integration/bench/install_scripts.sh)"
if ROUNDS=${INSTALL_SCRIPTS_ROUNDS:-3} JSON="$work/install-scripts.json" bash "$OLDPWD/integration/bench/install_scripts.sh" "$A"; then
  results+=("install-scripts/bare|$(median_of install-scripts.json 0)" "install-scripts/airlock|$(median_of install-scripts.json 1)")
else
  echo "   (skipped or failed: see above)"
fi

# The gateway (throughput, latency, descriptors, the supervisor's peak RSS)
# and audit benchmarks print "RESULT name value" lines for the table.
: > extra.txt
echo "== gateway and supervisor memory (integration/bench/run_gateway_bench.sh)"
RUNS=${RUNS:-5} bash "$OLDPWD/integration/bench/run_gateway_bench.sh" "$A" "${GATEWAY_MIB:-1024}" 1000 | tee -a extra.txt \
  || echo "   (gateway benchmark failed)"
for extra in "$OLDPWD"/integration/bench/bench_*.sh; do
  [[ -e $extra ]] || continue
  echo "== $(basename "$extra")"
  AIRLOCK="$A" bash "$extra" "$A" | tee -a extra.txt || echo "   ($(basename "$extra") failed)"
done

python3 - "$out_json" "${results[@]}" <<'PY'
import json, sys
out, rows = sys.argv[1], [r.split("|") for r in sys.argv[2:]]
med = {name: float(v) for name, v in rows}
def ratio(a, b): return med[a] / med[b] if a in med and b in med and med[b] else None
table = []
print(f"\n{'benchmark':28} {'median':>10}")
for name, v in rows:
    print(f"{name:28} {float(v)*1000:9.2f}ms")
checks = [("airlock / bwrap start-up", ratio("startup/airlock", "startup/bwrap"), 1.0),
          ("airlock / unshare start-up", ratio("startup/airlock", "startup/unshare"), None),
          ("airlock / firejail start-up", ratio("startup/airlock", "startup/firejail"), None),
          ("ci-step build / bare build", ratio("build/airlock", "build/bare"), 1.03),
          ("ci-step lua build / bare", ratio("build-lua/airlock", "build-lua/bare"), 1.03),
          ("install-scripts / npm rebuild", ratio("install-scripts/airlock", "install-scripts/bare"), None)]
print(f"\n{'ratio':32} {'value':>7} {'target':>8}")
for name, r, target in checks:
    if r is None: continue
    verdict = "" if target is None else ("  ok" if r <= target else "  MISSED")
    print(f"{name:32} {r:7.2f} {('<= %.2f' % target) if target else '':>8}{verdict}")
    table.append({"ratio": name, "value": r, "target": target})
for name in ("npm-ci", "pip-install"):
    if f"explain/{name}" in med and "explain/default" in med:
        added = (med[f"explain/{name}"] - med["explain/default"]) * 1000
        print(f"{name + ' resolution, added ms':32} {added:7.2f} {'<= 5':>8}{'  ok' if added <= 5 else '  MISSED'}")
        table.append({"ratio": f"{name} resolution added ms", "value": added, "target": 5})
cpu = {}
for line in open("cpu.txt"):
    _, name, user, system = line.split(); cpu[name] = (float(user), float(system))
if cpu:
    print(f"\n{'start-up CPU per run':24} {'user ms':>8} {'system ms':>10}")
    for name, (user, system) in cpu.items():
        print(f"{name:24} {user*1000:8.2f} {system*1000:10.2f}")
    if "airlock" in cpu and "bwrap" in cpu:
        user, system = cpu["airlock"]
        print(f"{'airlock user CPU':32} {user*1000:6.2f}ms <= 1.50ms{'  ok' if user <= 0.0015 else '  MISSED'}")
        print(f"{'airlock / bwrap system CPU':32} {system / cpu['bwrap'][1]:7.2f} {'<= 1.00':>8}"
              f"{'  ok' if system <= cpu['bwrap'][1] else '  MISSED'}")
        table.append({"ratio": "airlock user CPU ms", "value": user * 1000, "target": 1.5})
        table.append({"ratio": "airlock / bwrap system CPU", "value": system / cpu["bwrap"][1], "target": 1.0})
extra = {}
for line in open("extra.txt"):
    parts = line.split()
    if len(parts) == 3 and parts[0] == "RESULT": extra[parts[1]] = float(parts[2])
for key, target, better in (("gateway_throughput_ratio", 0.9, "higher"), ("gateway_added_latency_us", 200, "lower"),
                            ("gateway_relay_throughput_ratio", None, None), ("gateway_relay_added_latency_us", None, None),
                            ("gateway_fd_growth", 0, "lower"), ("supervisor_peak_rss_kib", 8192, "lower"),
                            ("audit_audit_wall_ratio", 1.5, "lower"), ("audit_strace_wall_ratio", None, None),
                            ("audit_run_wall_ratio", None, None)):
    if key not in extra: continue
    r = extra[key]
    verdict = "" if target is None else ("  ok" if (r >= target if better == "higher" else r <= target) else "  MISSED")
    bound = "" if target is None else (">= " if better == "higher" else "<= ") + f"{target:g}"
    print(f"{key:32} {r:7.2f} {bound:>8}{verdict}")
    table.append({"ratio": key, "value": r, "target": target})
sc = {}
for label, f in (("bare", "bare.txt"), ("airlock", "sandboxed.txt")):
    for line in open(f):
        k, v = line.split(); sc.setdefault(k, {})[label] = float(v)
print(f"\n{'syscall loop':14} {'bare ns':>9} {'airlock ns':>11} {'added ns':>9}")
for k, v in sc.items():
    print(f"{k:14} {v['bare']:9.1f} {v['airlock']:11.1f} {v['airlock']-v['bare']:9.1f}")
json.dump({"medians_s": med, "ratios": table, "startup_cpu_s": cpu, "syscalls_ns": sc}, open(out, "w"), indent=2)
print(f"\nwritten: {out}")
PY
