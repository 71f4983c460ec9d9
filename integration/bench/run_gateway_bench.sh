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
runs=${RUNS:-5}
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
# The project the client runs in, with the profiles beside it, not in it:
# airlock loads no configuration from a project a step can write (unless
# trusted).
proj="$work/project"
mkdir -m 755 "$proj"
install -m 755 "$airlock_in" "$proj/airlock"
c++ -O2 -std=c++20 -o "$proj/gateway_bench" "$here/gateway_bench.cpp"
bench="$proj/gateway_bench"

"$bench" server "$port" > "$work/server.out" &
server_pid=$!
for _ in $(seq 50); do grep -q listening "$work/server.out" 2>/dev/null && break; sleep 0.1; done

# The client inside the sandbox: the binary lives in the project directory
# (readable and executable under the default profile). Two ways through the
# gateway: the handoff (network.handoff, the default: the supervisor makes
# the connection and hands the socket over) and the relay (handoff = false:
# every byte passes through the supervisor).
for way in handoff relay; do
  printf '[profile]\nextends = ["default"]\n\n[network]\nmode = "allowlist"\nallow = ["127.0.0.1:%s"]\nhandoff = %s\n' \
    "$port" "$([[ $way == handoff ]] && echo true || echo false)" > "$work/$way.toml"
done
chmod 644 "$work"/*.toml
through() {  # through WAY ARGS...
  local way=$1; shift
  (cd "$proj" && ./airlock -q run --profile "$work/$way.toml" -- ./gateway_bench "$@")
}
direct() { "$bench" "$@"; }

rate() { "$@" | awk '/throughput_mib_s/ {print $2}'; }

# Direct and gateway runs alternate, so all see the same background load;
# the best of each is the least disturbed.
echo "== throughput: $mib MiB upload, best of $runs each, alternating"
d=0 h=0 r=0
for i in $(seq "$runs"); do
  rd=$(rate direct throughput 127.0.0.1 "$port" "$mib")
  rh=$(rate through handoff throughput 127.0.0.1 "$port" "$mib")
  rr=$(rate through relay throughput 127.0.0.1 "$port" "$mib")
  echo "run $i   direct $rd MiB/s   handoff $rh MiB/s   relay $rr MiB/s"
  d=$(awk -v a="$d" -v b="$rd" 'BEGIN {print (b > a ? b : a)}')
  h=$(awk -v a="$h" -v b="$rh" 'BEGIN {print (b > a ? b : a)}')
  r=$(awk -v a="$r" -v b="$rr" 'BEGIN {print (b > a ? b : a)}')
done
echo "direct   $d MiB/s"
echo "handoff  $h MiB/s"
echo "relay    $r MiB/s"
awk -v d="$d" -v h="$h" -v r="$r" 'BEGIN {printf "ratio    handoff %.3f  (target >= 0.9), relay %.3f\n", h / d, r / d}'

echo "== supervisor memory: peak RSS during a $mib MiB upload through the relay"
# The supervisor is the airlock process started here; VmHWM is its peak
# resident set (the relay's pipes and buffers included), sampled until it
# exits. The relay is the worst case: with the handoff no byte passes.
hwm() { awk '/^VmHWM:/ {print $2}' "/proc/$1/status" 2>/dev/null || true; }
(cd "$proj" && exec ./airlock -q run --profile "$work/relay.toml" -- ./gateway_bench throughput 127.0.0.1 "$port" "$mib" >/dev/null) &
busy=$!
peak=0
while kill -0 "$busy" 2>/dev/null; do
  now=$(hwm "$busy"); [[ -n $now ]] && ((now > peak)) && peak=$now
  sleep 0.1
done
wait "$busy"
echo "peak RSS $peak KiB  (target <= 8192 KiB)"

echo "== latency: $latency_count sequential connections (connect, 1-byte round trip, close)"
median() { awk '{print $3}' <<<"$1"; }
dl=$(direct latency 127.0.0.1 "$port" "$latency_count")
hl=$(through handoff latency 127.0.0.1 "$port" "$latency_count")
rl=$(through relay latency 127.0.0.1 "$port" "$latency_count")
echo "direct   $dl"
echo "handoff  $hl"
echo "relay    $rl"
awk -v d="$(median "$dl")" -v h="$(median "$hl")" -v r="$(median "$rl")" \
  'BEGIN {printf "added    handoff %.1f us, relay %.1f us median per connection  (target <= 200 us)\n", h - d, r - d}'

fds() { find "/proc/$1/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l; }
concurrent() {  # concurrent WAY: sets before, during, after, conc_peak
  coproc CLIENT { cd "$proj" && exec ./airlock -q run --profile "$work/$1.toml" -- ./gateway_bench concurrent 127.0.0.1 "$port" "$connections"; }
  local supervisor=$CLIENT_PID
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
  echo "$1: supervisor descriptors: before $before, with $connections open $during, after $after; growth $((after - before)) (target 0); peak RSS $conc_peak KiB"
}
echo "== $connections concurrent connections through the gateway"
concurrent relay
relay_growth=$((after - before))
((conc_peak > peak)) && peak=$conc_peak
concurrent handoff
handoff_growth=$((after - before))
((conc_peak > peak)) && peak=$conc_peak

# One line per result for integration/bench/run.sh.
awk -v d="$d" -v h="$h" -v r="$r" -v dl="$(median "$dl")" -v hl="$(median "$hl")" -v rl="$(median "$rl")" \
    -v growth="$((relay_growth > handoff_growth ? relay_growth : handoff_growth))" -v peak="$peak" 'BEGIN {
  printf "RESULT gateway_throughput_ratio %.3f\n", h / d
  printf "RESULT gateway_relay_throughput_ratio %.3f\n", r / d
  printf "RESULT gateway_added_latency_us %.1f\n", hl - dl
  printf "RESULT gateway_relay_added_latency_us %.1f\n", rl - dl
  printf "RESULT gateway_fd_growth %d\n", growth
  printf "RESULT supervisor_peak_rss_kib %d\n", peak
}'
