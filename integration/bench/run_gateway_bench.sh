#!/usr/bin/env bash
# Egress gateway benchmark: the same client straight to a loopback server
# and through `airlock run` (allow 127.0.0.1:PORT), in one run, and the
# ratios. Not a test: numbers depend on the machine and its load.
#
#   integration/bench/run_gateway_bench.sh [path/to/airlock] [MIB] [CONNECTIONS]
#
# Targets (issue "Egress gateway"): throughput >= 0.9x direct; added latency
# per new connection <= 0.2 ms (median); 1,000 concurrent connections with
# no descriptor growth in the supervisor afterwards.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
airlock_in=${1:-$here/../../build/airlock}
mib=${2:-2048}
connections=${3:-1000}
runs=${RUNS:-3}
latency_count=${LATENCY_COUNT:-2000}
port=${PORT:-18571}

work=$(mktemp -d /var/tmp/airlock-bench.XXXXXX)
chmod 755 "$work"
server_pid=""
cleanup() {
  [[ -n $server_pid ]] && kill "$server_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
install -m 755 "$airlock_in" "$work/airlock"
c++ -O2 -std=c++20 -o "$work/gateway_bench" "$here/gateway_bench.cpp"
bench="$work/gateway_bench"

"$bench" server "$port" > "$work/server.out" &
server_pid=$!
for _ in $(seq 50); do grep -q listening "$work/server.out" 2>/dev/null && break; sleep 0.1; done

# The client inside the sandbox: the binary lives in the project directory
# (readable and executable under the default profile).
through_gateway() {
  (cd "$work" && ./airlock -q run --allow-net "127.0.0.1:$port" -- ./gateway_bench "$@")
}
direct() { "$bench" "$@"; }

rate() { "$@" | awk '/throughput_mib_s/ {print $2}'; }

# Direct and gateway runs alternate, so both see the same background load;
# the best of each is the least disturbed.
echo "== throughput: $mib MiB upload, best of $runs each, alternating"
d=0 g=0
for i in $(seq "$runs"); do
  rd=$(rate direct throughput 127.0.0.1 "$port" "$mib")
  rg=$(rate through_gateway throughput 127.0.0.1 "$port" "$mib")
  echo "run $i   direct $rd MiB/s   gateway $rg MiB/s"
  d=$(awk -v a="$d" -v b="$rd" 'BEGIN {print (b > a ? b : a)}')
  g=$(awk -v a="$g" -v b="$rg" 'BEGIN {print (b > a ? b : a)}')
done
echo "direct   $d MiB/s"
echo "gateway  $g MiB/s"
awk -v d="$d" -v g="$g" 'BEGIN {printf "ratio    %.3f  (target >= 0.9)\n", g / d}'

echo "== supervisor memory: peak RSS during a $mib MiB upload through the gateway"
# The supervisor is the airlock process started here; VmHWM is its peak
# resident set (the relay's pipes and buffers included), sampled until it exits.
hwm() { awk '/^VmHWM:/ {print $2}' "/proc/$1/status" 2>/dev/null || true; }
(cd "$work" && exec ./airlock -q run --allow-net "127.0.0.1:$port" -- ./gateway_bench throughput 127.0.0.1 "$port" "$mib" >/dev/null) &
busy=$!
peak=0
while kill -0 "$busy" 2>/dev/null; do
  now=$(hwm "$busy"); [[ -n $now ]] && ((now > peak)) && peak=$now
  sleep 0.1
done
wait "$busy"
echo "peak RSS $peak KiB  (target <= 8192 KiB)"

echo "== latency: $latency_count sequential connections (connect, 1-byte round trip, close)"
dl=$(direct latency 127.0.0.1 "$port" "$latency_count")
gl=$(through_gateway latency 127.0.0.1 "$port" "$latency_count")
echo "direct   $dl"
echo "gateway  $gl"
awk -v d="$(awk '{print $3}' <<<"$dl")" -v g="$(awk '{print $3}' <<<"$gl")" \
  'BEGIN {printf "added    %.1f us median per connection  (target <= 200 us)\n", g - d}'

echo "== $connections concurrent connections through the gateway"
fds() { find "/proc/$1/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l; }
coproc CLIENT { cd "$work" && exec ./airlock -q run --allow-net "127.0.0.1:$port" -- ./gateway_bench concurrent 127.0.0.1 "$port" "$connections"; }
supervisor=$CLIENT_PID
expect() {
  local line
  IFS= read -r -t 60 line <&"${CLIENT[0]}" || { echo "client: no $1" >&2; exit 1; }
  [[ $line == "$1" ]] || { echo "client said [$line], expected $1" >&2; exit 1; }
}
expect READY;  before=$(fds "$supervisor"); echo go >&"${CLIENT[1]}"
expect OPEN;   during=$(fds "$supervisor"); echo go >&"${CLIENT[1]}"
expect CLOSED; after=$(fds "$supervisor");  echo go >&"${CLIENT[1]}"
conc_peak=$(hwm "$supervisor")
wait "$supervisor"
echo "supervisor descriptors: before $before, with $connections open $during, after $after"
echo "growth   $((after - before))  (target 0)"
echo "peak RSS with $connections connections: $conc_peak KiB"
((conc_peak > peak)) && peak=$conc_peak

# One line per result for integration/bench/run.sh.
awk -v d="$d" -v g="$g" -v dl="$(awk '{print $3}' <<<"$dl")" -v gl="$(awk '{print $3}' <<<"$gl")" \
    -v growth="$((after - before))" -v peak="$peak" 'BEGIN {
  printf "RESULT gateway_throughput_ratio %.3f\n", g / d
  printf "RESULT gateway_added_latency_us %.1f\n", gl - dl
  printf "RESULT gateway_fd_growth %d\n", growth
  printf "RESULT supervisor_peak_rss_kib %d\n", peak
}'
