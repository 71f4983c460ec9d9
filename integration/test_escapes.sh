#!/usr/bin/env bash
# ctest-parts: root nobody
# The escape suite: every probe in integration/escapes/ (one C program per
# technique, each citing the CVE or advisory it is modelled on) runs inside
# every shipped profile, as root and as uid 65534, and must print only
# HELD (or SKIP, naming a missing kernel feature or tool) lines. Any
# ESCAPED line fails, and so does a probe that prints nothing.
#
# Controls make the HELD lines evidence: the probes that reach for
# something outside (host services, other processes, inherited
# descriptors, secrets, the caller's terminal) also run outside the
# sandbox, where they must report ESCAPED for the same targets.
#
# The test runs in a network namespace of its own (it re-executes itself
# under `unshare --net`, so it needs root): there 169.254.169.254 and
# fd00:ec2::254 (cloud metadata) and fd00:a1::1 are local addresses with
# listeners, and 127.0.0.53:53 is a DNS stub that logs what it receives;
# nothing is ever sent beyond that namespace. The host's nameservers
# (/etc/resolv.conf) are made local there too, with listeners: the
# allowlist profiles' DNS stub must never carry a denied query upstream.
#
# ESCAPES_VERBOSE=1 prints every line the probes print.
if [[ ${AIRLOCK_ESCAPES_NETNS:-} != 1 ]]; then
  if [[ $(id -u) != 0 ]]; then
    echo "SKIP the escape suite needs root (a network namespace of its own for its listeners, setuid and file-capability programs)"
    exit 77
  fi
  command -v unshare >/dev/null || { echo "SKIP unshare(1) (util-linux) is not installed"; exit 77; }
  exec unshare --net -- env AIRLOCK_ESCAPES_NETNS=1 bash "$0" "$@"
fi

source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/core_lib.sh"

LISTENERS_PID=
VICTIM_PIDS=()
MADE_RUN_DIRS=()
cleanup_escapes() {
  [[ -z $LISTENERS_PID ]] || { kill "$LISTENERS_PID" 2>/dev/null; wait "$LISTENERS_PID" 2>/dev/null; }
  local pid dir
  for pid in "${VICTIM_PIDS[@]}"; do kill "$pid" 2>/dev/null; done
  for dir in "${MADE_RUN_DIRS[@]}"; do rm -rf "$dir"; done
  rm -rf "/tmp/ssh-airlock-escapes-$$"
  rm -f "/run/airlock-escapes-$$-"*.sock
  cleanup_scratch
}
trap cleanup_escapes EXIT

require_full_sandbox
require_commands cc script ip setpriv /usr/bin/python3
ESCAPES="$AIRLOCK_SRC/integration/escapes"

# ---- the probes -----------------------------------------------------------
PROBES="$SCRATCH/probes"
mkdir -p "$PROBES"
for src in "$ESCAPES"/*.c; do
  name=$(basename "$src" .c)
  if ! cc -std=c11 -O2 -Wall -Wextra -o "$PROBES/$name" "$src" 2>"$SCRATCH/cc.err"; then
    cat "$SCRATCH/cc.err"
    echo "FAIL cc $src"
    exit 1
  fi
done
chmod -R 755 "$PROBES"
# What runs in one sandbox per profile; fork_bomb and disk_fill run in
# every profile too, each in a sandbox of its own (a bomb left running or a
# full /tmp would stop the probes after it).
MATRIX_PROBES=()
for src in "$ESCAPES"/*.c; do
  name=$(basename "$src" .c)
  [[ $name == fork_bomb || $name == disk_fill ]] || MATRIX_PROBES+=("$name")
done

# ---- the test's own network namespace and its listeners -------------------
ip link set lo up
ip addr add 169.254.169.254/32 dev lo
HAVE_IPV6=0
if [[ -e /proc/net/if_inet6 ]] && ip -6 addr add fd00:ec2::254/128 dev lo nodad 2>/dev/null &&
   ip -6 addr add fd00:a1::1/128 dev lo nodad 2>/dev/null; then
  HAVE_IPV6=1
fi

# The machine's nameservers, where airlock's gateway would send a query it
# forwards: local addresses of this namespace, with a listener on port 53.
UPSTREAM_SPECS=()
n=0
while read -r ns; do
  case $ns in
    127.0.0.53) continue ;;  # the stub listener below
    *:*) ((HAVE_IPV6)) || continue
         [[ $ns == ::1 ]] || ip -6 addr add "$ns/128" dev lo nodad 2>/dev/null
         UPSTREAM_SPECS+=("udp:upstream$n:[$ns]:53" "tcp:upstream-tcp$n:[$ns]:53") ;;
    *)   [[ $ns == 127.* ]] || ip addr add "$ns/32" dev lo 2>/dev/null
         UPSTREAM_SPECS+=("udp:upstream$n:$ns:53" "tcp:upstream-tcp$n:$ns:53") ;;
  esac
  n=$((n + 1))
done < <(awk '$1 == "nameserver" { print $2 }' /etc/resolv.conf 2>/dev/null | sort -u)

NEEDLE="airlock-escape-secret-$(tr -dc 'a-z0-9' </dev/urandom 2>/dev/null | head -c 24)"
NEEDLE_HEX=$(printf '%s' "$NEEDLE" | od -An -tx1 | tr -d ' \n')
ABSTRACT="airlock-escapes-$$"
LISTENER_LOG="$SCRATCH/listeners.log"

# A user's socket files: where host services keep theirs.
# socket_paths WHO: one path per line (the probe takes them comma-joined).
socket_paths() {
  local who=$1 uid=0
  [[ $who == root ]] || uid=$NOBODY
  echo "$SCRATCH/$who/outside/agent.sock"                 # a host directory the profile does not grant
  echo "/run/user/$uid/airlock-escapes-$$-bus"            # the D-Bus session bus's directory
  echo "$SCRATCH/$who/home/.docker/run/docker.sock"       # Docker Desktop's socket in the home directory
  echo "/run/airlock-escapes-$$-$who-docker.sock"         # a /run/docker.sock-like system socket
  echo "/tmp/ssh-airlock-escapes-$$/agent.$uid"           # an ssh-agent in the host's /tmp
}

prepare_socket_dirs() {
  local who=$1 uid=0
  [[ $who == root ]] || uid=$NOBODY
  if [[ ! -d /run/user/$uid ]]; then
    mkdir -p "/run/user/$uid" && chown "$uid:$uid" "/run/user/$uid" && chmod 700 "/run/user/$uid"
    MADE_RUN_DIRS+=("/run/user/$uid")
  fi
  mkdir -p "$SCRATCH/$who/home/.docker/run" "$SCRATCH/$who/outside" "/tmp/ssh-airlock-escapes-$$"
  chmod 711 "/tmp/ssh-airlock-escapes-$$"
  chmod 755 "$SCRATCH/$who"
  chown -R "$uid:$uid" "$SCRATCH/$who"
}

start_listeners() {
  local specs=(
    "tcp:tcp4:127.0.0.1:0" "udp:udp4:127.0.0.1:0" "udp:resolver:127.0.0.1:0"
    "udp:stub:127.0.0.53:53" "tcp:stub-tcp:127.0.0.53:53" "tcp:metadata:169.254.169.254:80"
    "abstract:abstract:$ABSTRACT" "${UPSTREAM_SPECS[@]}"
  )
  if ((HAVE_IPV6)); then
    specs+=("tcp:tcp6:[::1]:0" "udp:udp6:[::1]:0" "tcp:ula6:[fd00:a1::1]:0" "tcp:metadata6:[fd00:ec2::254]:80")
  fi
  local who uid path n=0
  for who in root nobody; do
    uid=0
    [[ $who == root ]] || uid=$NOBODY
    while read -r path; do specs+=("unix:sock$((n++)):$path:$uid"); done < <(socket_paths "$who")
  done
  cp "$ESCAPES/listeners.py" "$SCRATCH/listeners.py"
  /usr/bin/python3 "$SCRATCH/listeners.py" "$LISTENER_LOG" "$SCRATCH/ready" "${specs[@]}" &
  LISTENERS_PID=$!
  wait_until 10 test -s "$SCRATCH/ready" || { echo "FAIL the listeners did not start"; exit 1; }
}
port_of() { awk -v n="$1" '$1 == n { print $2 }' "$SCRATCH/ready"; }

# ---- per-user fixture -----------------------------------------------------
# make_fixture (core_lib) gives PROJECT and FAKE_HOME; here each user also
# gets a secret outside any granted path, a secret for fd 7, links planted
# in the project, a data directory (node-service), node_modules
# (npm-scripts), a setuid-root and a file-capability program, a victim
# process with the secret in its environment, and the handles of the secrets.
setup_user() {
  local who=$1 uid=0
  [[ $who == root ]] || uid=$NOBODY
  make_fixture "$who"
  HIDDEN="$FAKE_HOME/.ssh/id_rsa"
  OUTSIDE="$SCRATCH/$who/outside"
  FD_SECRET="$SCRATCH/$who/fd-secret.txt"
  DATA="$SCRATCH/$who/data"
  echo "$NEEDLE" >>"$HIDDEN"
  mkdir -p "$OUTSIDE" "$DATA" "$PROJECT/node_modules"
  echo "$NEEDLE" >"$OUTSIDE/secret.txt"
  echo "$NEEDLE" >"$FD_SECRET"
  chmod 600 "$OUTSIDE/secret.txt" "$FD_SECRET"
  local dir
  for dir in "$PROJECT" "$FAKE_HOME"; do
    ln -sfn "$HIDDEN" "$dir/leak-hidden"
    ln -sfn "$OUTSIDE/secret.txt" "$dir/leak-outside"
  done
  chown -R "$uid:$uid" "$OUTSIDE" "$FD_SECRET" "$DATA" "$PROJECT" "$FAKE_HOME"
  install -o 0 -g 0 -m 4755 "$PROBES/setuid_exec" "$PROJECT/setuid-helper"
  FCAPS_ARG=()
  if command -v setcap >/dev/null; then
    install -o 0 -g 0 -m 755 "$PROBES/setuid_exec" "$PROJECT/fcaps-helper"
    setcap cap_dac_read_search+ep "$PROJECT/fcaps-helper" && FCAPS_ARG=("fcaps=$PROJECT/fcaps-helper")
  fi
  HIDDEN_HANDLE=$("$PROBES/open_by_handle" print "$HIDDEN")
  OUTSIDE_HANDLE=$("$PROBES/open_by_handle" print "$OUTSIDE/secret.txt")
  # Started directly (not through as_user, a function: its background
  # subshell would be the pid), so that $! is the sleep holding the secret.
  if [[ $who == root ]]; then
    env -i "AIRLOCK_VICTIM_TOKEN=$NEEDLE" /bin/sleep "3600.$$" &
  else
    setpriv --reuid="$NOBODY" --regid="$NOBODY" --clear-groups env -i "AIRLOCK_VICTIM_TOKEN=$NEEDLE" /bin/sleep "3600.$$" &
  fi
  VICTIM=$!
  VICTIM_PIDS+=("$VICTIM")
  local sockets
  sockets=$(socket_paths "$who" | paste -sd, -)
  local mapped
  mapped="[::ffff:127.0.0.1]:$(port_of tcp4)"
  ARGS=(
    "needle=$NEEDLE_HEX" "shell=$$" "victim=$VICTIM" "hidden=$HIDDEN" "outside=$OUTSIDE"
    "abstract=$ABSTRACT" "sockets=$sockets" "setuid=$PROJECT/setuid-helper" "${FCAPS_ARG[@]}"
    "hidden_handle=$HIDDEN_HANDLE" "outside_handle=$OUTSIDE_HANDLE"
    "tcp=127.0.0.1:$(port_of tcp4)" "udp=127.0.0.1:$(port_of udp4)"
    "stub=127.0.0.53:53" "resolver=127.0.0.1:$(port_of resolver)" "metadata=169.254.169.254:80"
  )
  if ((HAVE_IPV6)); then
    ARGS+=("tcp6=[::1]:$(port_of tcp6)" "udp6=[::1]:$(port_of udp6)" "mapped=$mapped"
           "ula6=[fd00:a1::1]:$(port_of ula6)" "metadata6=[fd00:ec2::254]:80")
  else
    ARGS+=(tcp6=none udp6=none mapped=none ula6=none metadata6=none)
  fi
  # node-service names its data directory: a derived profile does.
  NODE_SERVICE="$SCRATCH/$who/node-service.toml"
  printf '[profile]\nextends = ["node-service"]\n\n[variables]\ndata = "%s"\n' "$DATA" >"$NODE_SERVICE"
  LIMITS_NPROC="$SCRATCH/$who/nproc.toml"
  printf '[profile]\nextends = ["default"]\n\n[limits]\nnproc = 200\n' >"$LIMITS_NPROC"
  LIMITS_NPROC_USER="$SCRATCH/$who/nproc-user.toml"
  printf '[profile]\nextends = ["default"]\n\n[limits]\nnproc = 200\n\n[process]\nuser = "%s"\n' "$NOBODY" >"$LIMITS_NPROC_USER"
  LIMITS_FSIZE="$SCRATCH/$who/fsize.toml"
  printf '[profile]\nextends = ["default"]\n\n[limits]\nfsize = "1MiB"\n' >"$LIMITS_FSIZE"
  chmod 644 "$NODE_SERVICE" "$LIMITS_NPROC" "$LIMITS_NPROC_USER" "$LIMITS_FSIZE"
}

# The profiles of the matrix: "NAME PROFILE-ARGUMENT WRITABLE-DIRECTORY
# WORKING-DIRECTORY". The last line runs `default` with the home directory
# as the project: there the home is visible, and only the @secret-files
# masks (and Landlock) stand between the command and the planted secrets.
profiles_of() {
  local name
  for name in default ci-step make-build npm-build npm-test npm-ci pip-install; do echo "$name $name $PROJECT $PROJECT"; done
  echo "npm-scripts npm-scripts $PROJECT/node_modules $PROJECT"
  echo "node-service $NODE_SERVICE $DATA $PROJECT"
  echo "home-as-project default $FAKE_HOME $FAKE_HOME"
}

# ---- running a probe ------------------------------------------------------
# launch WHO LABEL WRITABLE [--report FILE] [--terminal] [--outside] [--profile P] [--cwd DIR] PROBE [ARGS...]:
# runs PROBE as WHO from the project (or DIR) with fd 7 open on a secret and fd 8
# on the outside directory, inside `airlock run` unless --outside; the
# process that becomes airlock passes its own pid (supervisor=PID).
# Prints the probe's stdout; its stderr goes to $SCRATCH/stderr.
# PROBE may be "--many P1,P2,...": one sandbox runs them one after the
# other (each in its own process), each preceded by a line "@@PROBE NAME".
launch() {
  local who=$1 label=$2 writable=$3; shift 3
  local terminal=0 outside=0 profile=default cwd=$PROJECT report=()
  while [[ $1 == --* && $1 != --many ]]; do
    case $1 in
      --report) report=(--report "$2"); shift 2 ;;
      --terminal) terminal=1; shift ;;
      --outside) outside=1; shift ;;
      --profile) profile=$2; shift 2 ;;
      --cwd) cwd=$2; shift 2 ;;
    esac
  done
  local -a cmd
  if [[ $1 == --many ]]; then
    # shellcheck disable=SC2016 # expanded by the sh inside the sandbox
    cmd=(sh -c 'dir=$1 names=$2; shift 2; for p in $(echo "$names" | tr , " "); do echo "@@PROBE $p"; "$dir/$p" "$@"; done'
         sh "$PROBES" "$2" "${ARGS[@]}" "label=$label" "writable=$writable")
    shift 2
  else
    cmd=("$PROBES/$1" "${ARGS[@]}" "label=$label" "writable=$writable")
    shift
  fi
  cmd+=("$@")
  ((outside)) || cmd=("$AIRLOCK" -q run --timeout 4m --profile "$profile" "${report[@]}" --allow-exec "$PROBES" -- "${cmd[@]}")
  # The keyctl probe looks for a key the caller keeps in its session keyring.
  cmd=("$PROBES/keyctl" --plant "needle=$NEEDLE_HEX" -- "${cmd[@]}")
  cmd=(sh -c 'exec 7<"$1" 8<"$2"; shift 2; exec "$@" "supervisor=$$"' sh "$FD_SECRET" "$OUTSIDE" "${cmd[@]}")
  run_env
  if ((terminal)); then
    local quoted
    printf -v quoted '%q ' "${cmd[@]}"
    (cd "$cwd" && as_user "$who" env "${RUN_ENV[@]}" script -qec "$quoted" /dev/null </dev/null 2>"$SCRATCH/stderr") | tr -d '\r'
  else
    (cd "$cwd" && as_user "$who" env "${RUN_ENV[@]}" "${cmd[@]}" </dev/null 2>"$SCRATCH/stderr")
  fi
}

SKIPS=()
# judge WHAT PROBE OUTPUT: every line is HELD/ESCAPED/SKIP for PROBE; at
# least one; no ESCAPED. Leading blanks are dropped: under a terminal an
# injected character may be echoed before a line.
judge() {
  local what=$1 probe=$2 out=$3 line held=0 bad=0
  out=$(sed 's/^[[:space:]]*//' <<<"$out")  # per line: not a job for ${out//}
  if [[ -z ${out//[[:space:]]/} ]]; then
    fail "$what: $probe printed nothing (stderr: $(tr '\n' ' ' <"$SCRATCH/stderr"))"
    return
  fi
  while IFS= read -r line; do
    [[ -n $line ]] || continue
    [[ -z ${ESCAPES_VERBOSE:-} ]] || printf '     %s\n' "$line"
    case $line in
      "HELD $probe/"*) held=$((held + 1)) ;;
      "SKIP $probe/"*) SKIPS+=("$what: ${line#SKIP }") ;;
      "ESCAPED $probe/"*) fail "$what: $line"; bad=1 ;;
      *) fail "$what: $probe printed an unexpected line: $line"; bad=1 ;;
    esac
  done <<<"$out"
  ((bad)) || pass "$what: $probe: $held held"
}

# expect_escaped WHAT OUTPUT CHECK...: the control run outside reported
# ESCAPED for each CHECK (PROBE/NAME).
expect_escaped() {
  local what=$1 out=$2 check; shift 2
  for check in "$@"; do
    if grep -q "^[[:space:]]*ESCAPED $check " <<<"$out"; then
      pass "$what: control: $check works outside the sandbox"
    else
      fail "$what: control: $check did not work outside the sandbox: $(grep " $check " <<<"$out")"
    fi
  done
}

# ---- controls: the attacks work where there is no sandbox ------------------
controls() {
  local who=$1 out label w="$PROJECT"
  label="control-$who"
  out=$(launch "$who" "$label" "$w" --outside host_sockets)
  local check checks=()
  while read -r check; do checks+=("host_sockets/$check"); done < <(sed -n 's/^ESCAPED host_sockets\/\([^ ]*\) .*/\1/p' <<<"$out")
  expect_eq "$who: control: every host socket answers outside" "$(socket_paths "$who" | wc -l)" "${#checks[@]}"
  expect_escaped "$who" "$(launch "$who" "$label" "$w" --outside abstract_socket)" abstract_socket/host-listener
  local net=(cloud_metadata/imds-ipv4 udp_ipv6/tcp-loopback udp_ipv6/udp-loopback)
  ((HAVE_IPV6)) && net+=(cloud_metadata/imds-ipv6 udp_ipv6/udp6-loopback udp_ipv6/tcp6-loopback udp_ipv6/tcp-v4-mapped udp_ipv6/tcp6-ula)
  expect_escaped "$who" "$(launch "$who" "$label" "$w" --outside cloud_metadata; launch "$who" "$label" "$w" --outside udp_ipv6)" "${net[@]}"
  expect_escaped "$who" "$(launch "$who" "$label" "$w" --outside dns_exfil)" \
    dns_exfil/stub-127.0.0.53 dns_exfil/host-resolver dns_exfil/stub-127.0.0.53-tcp
  expect_escaped "$who" "$(launch "$who" "$label" "$w" --outside proc_outside targets=victim,scan)" \
    proc_outside/environ-victim proc_outside/mem-victim proc_outside/scan
  expect_escaped "$who" "$(launch "$who" "$label" "$w" --outside ptrace_outside targets=victim)" \
    ptrace_outside/attach-victim ptrace_outside/process_vm_readv-victim ptrace_outside/pidfd_open-victim
  expect_escaped "$who" "$(launch "$who" "$label" "$w" --outside signals targets=victim,pidfd)" \
    signals/kill-victim signals/sigcont-victim signals/pidfd-victim
  expect_escaped "$who" "$(launch "$who" "$label" "$w" --outside inherited_fds)" \
    inherited_fds/fd7 inherited_fds/fd8 inherited_fds/openat-inherited-dir
  expect_escaped "$who" "$(launch "$who" "$label" "$w" --outside symlink_secret)" \
    symlink_secret/direct-hidden symlink_secret/planted-link-hidden symlink_secret/planted-link-outside
  expect_escaped "$who" "$(launch "$who" "$label" "$w" --outside keyctl)" keyctl/read-session-key
  if [[ $who == root ]]; then
    # Privileged attempts: only root has the capabilities they need outside.
    expect_escaped "$who" "$(launch "$who" "$label" "$w" --outside open_by_handle)" open_by_handle/hidden open_by_handle/outside
    expect_escaped "$who" "$(launch "$who" "$label" "$w" --outside netlink)" netlink/route-newaddr netlink/nftables-newtable
  else
    expect_escaped "$who" "$(launch "$who" "$label" "$w" --outside setuid_exec)" setuid_exec/setuid-root
  fi
  if [[ $(cat /proc/sys/dev/tty/legacy_tiocsti 2>/dev/null) == 1 ]]; then
    expect_escaped "$who" "$(launch "$who" "$label" "$w" --outside --terminal terminal_injection targets=own)" \
      terminal_injection/TIOCSTI-stdin
  fi
}

# ---- the matrix ---------------------------------------------------------------
# One sandbox per profile runs every probe (each its own process); the
# terminal probe runs in a second one, under a pseudo-terminal.
run_matrix() {
  local who=$1 name profile writable cwd probe out others=()
  for probe in "${MATRIX_PROBES[@]}"; do [[ $probe == terminal_injection ]] || others+=("$probe"); done
  local list
  list=$(IFS=,; echo "${others[*]}")
  while read -r name profile writable cwd; do
    out=$(launch "$who" "sandbox-$name-$who" "$writable" --profile "$profile" --cwd "$cwd" --many "$list")
    for probe in "${others[@]}"; do
      judge "$who $name" "$probe" "$(awk -v p="@@PROBE $probe" '/^@@PROBE / { on = ($0 == p); next } on' <<<"$out")"
    done
    out=$(launch "$who" "sandbox-$name-$who" "$writable" --terminal --profile "$profile" --cwd "$cwd" terminal_injection)
    judge "$who $name" terminal_injection "$out"
    run_exhaustion "$who" "$name" "$profile" "$writable" "$cwd" "as shipped"
  done < <(profiles_of)
}

# The fork bomb and the disk fill in one profile: each must stop at the
# limit, the run must end by itself with nothing left running, and airlock
# must say which limit the command reached.
run_exhaustion() {
  local who=$1 name=$2 profile=$3 writable=$4 cwd=$5 how=$6 out start
  local report_file="$SCRATCH/$who/exhaustion.json"
  start=$SECONDS
  out=$(launch "$who" "sandbox-$name-$who" "$writable" --report "$report_file" --profile "$profile" --cwd "$cwd" fork_bomb)
  judge "$who $name ($how)" fork_bomb "$out"
  ((SECONDS - start < 30)) && pass "$who $name: the fork bomb's run ended by itself" ||
    fail "$who $name: the fork bomb's run took $((SECONDS - start))s"
  if wait_until 5 no_process_of "$PROBES/fork_bomb"; then
    pass "$who $name: no process of the fork bomb is left"
  else
    fail "$who $name: fork bomb processes are left: $(pgrep -f "^$PROBES/fork_bomb" | wc -l)"
  fi
  expect_eq "$who $name: the report says the process limit was reached" '["processes"]' "$(limits_reached "$report_file")"
  out=$(launch "$who" "sandbox-$name-$who" "$writable" --report "$report_file" --profile "$profile" --cwd "$cwd" disk_fill)
  judge "$who $name ($how)" disk_fill "$out"
  expect_eq "$who $name: the report says /tmp was filled" '["tmp"]' "$(limits_reached "$report_file")"
}

limits_reached() {
  python3 -c 'import json, sys; print(json.dumps(json.load(open(sys.argv[1]))["result"]["limits_reached"]))' "$1" 2>&1
}

# Limits: a fork bomb against limits.nproc must stop at the limit and be
# gone when the run ends; a file against limits.fsize must stop at it.
# The kernel exempts root (uid 0 of the initial user namespace) from
# RLIMIT_NPROC, so as root the nproc profile is refused (fail closed) and
# the bomb runs under one that also names an unprivileged process.user.
run_limits() {
  local who=$1 out start profile=$LIMITS_NPROC
  if [[ $who == root ]]; then
    out=$(launch root "sandbox-nproc-root" "$PROJECT" --profile "$LIMITS_NPROC" fork_bomb 2>&1)
    expect_eq "root: nproc as root: the probe did not run" "" "$out"
    expect_contains "root: nproc as root is refused, naming why" "$(cat "$SCRATCH/stderr")" "exempts uid 0 from RLIMIT_NPROC"
    profile=$LIMITS_NPROC_USER
  fi
  start=$SECONDS
  out=$(launch "$who" "sandbox-nproc-$who" "$PROJECT" --profile "$profile" fork_bomb)
  judge "$who nproc=200" fork_bomb "$out"
  ((SECONDS - start < 20)) && pass "$who: the fork bomb's run ended promptly" || fail "$who: the fork bomb's run took $((SECONDS - start))s"
  if wait_until 5 no_process_of "$PROBES/fork_bomb"; then
    pass "$who: no process of the fork bomb is left"
  else
    fail "$who: fork bomb processes are left: $(pgrep -f "^$PROBES/fork_bomb" | wc -l)"
  fi
  out=$(launch "$who" "sandbox-fsize-$who" "$PROJECT" --profile "$LIMITS_FSIZE" disk_fill)
  judge "$who fsize=1MiB" disk_fill "$out"
}

# No process runs the program PATH (anchored: the pattern itself is in
# no command line that starts with it).
no_process_of() { ! pgrep -f "^$1" >/dev/null; }

# What the host shows after every run of a user.
check_host_after() {
  local who=$1 left
  if kill -0 "$VICTIM" 2>/dev/null; then pass "$who: the victim still runs"; else fail "$who: the victim process died"; fi
  expect_eq "$who: the outside secret is intact" "$NEEDLE" "$(cat "$OUTSIDE/secret.txt" 2>/dev/null)"
  left=$(find "$OUTSIDE" -mindepth 1 ! -name secret.txt ! -name agent.sock)
  expect_eq "$who: nothing was planted in the outside directory" "" "$left"
  left=$(find "$PROJECT" "$DATA" "$FAKE_HOME" -name '.escape-*' -o -name 'core*' 2>/dev/null)
  expect_eq "$who: no probe files or core dumps left in the project, data or home directory" "" "$left"
  [[ ! -e /etc/.escape-write ]] && pass "$who: nothing was written to /etc" || fail "$who: /etc/.escape-write exists"
}

start_listeners_once() {
  prepare_socket_dirs root
  prepare_socket_dirs nobody
  start_listeners
}

start_listeners_once
before=$(host_leftovers)
# ctest runs each user's half as its own test (AIRLOCK_TEST_PART), in parallel.
read -ra users <<<"${AIRLOCK_TEST_PART:-root nobody}"
for who in "${users[@]}"; do
  setup_user "$who"
  controls "$who"
  run_matrix "$who"
  run_limits "$who"
  check_host_after "$who"
done
sandboxed=$(grep -c ' airlock-escape sandbox-\|sandbox-.*escape.invalid' "$LISTENER_LOG")
expect_eq "no listener heard from inside a sandbox" 0 "$sandboxed"
[[ $sandboxed == 0 ]] || grep ' airlock-escape sandbox-\|sandbox-.*escape.invalid' "$LISTENER_LOG" | head -20
expect_match "the listeners heard the controls" "$(cat "$LISTENER_LOG")" "airlock-escape control-"
expect_nothing_left "no mounts, processes or files left behind" "$before"
for line in "${SKIPS[@]}"; do echo "skipped: $line"; done
finish
