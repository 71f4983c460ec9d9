#!/usr/bin/env bash
# Sandbox core, isolation: the namespaces and the filesystem view. A command
# tries to reach outside its sandbox (other processes, the host's files, the
# host's loopback services, the hostname) while doing its real work; and a
# setuid copy of airlock refuses to run. As root and as uid 65534.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/core_lib.sh"

SERVER_PID=
stop_loopback_server() { [[ -z $SERVER_PID ]] || kill "$SERVER_PID" 2>/dev/null; }
trap 'stop_loopback_server; cleanup_scratch' EXIT

# Models: reading the caller's tokens out of the supervisor, which runs
# outside the sandbox with the caller's full environment, by its host pid
# (passed in: `exec` keeps the pid of the shell that becomes airlock), and
# out of the test's own shell. Outside the sandbox's pid namespace neither
# exists; the sandbox's own processes do.
attack_supervisor_environ() {
  local who=$1 gh out
  gh=$(make_github_token)
  run_env
  out=$(cd "$PROJECT" && as_user "$who" env "${RUN_ENV[@]}" GITHUB_TOKEN="$gh" sh -c 'exec "$@" "$$"' sh \
    "$AIRLOCK" -q run -- sh -c '
      echo "supervisor: $2"; cat "/proc/$2/environ"; cat "/proc/$1/environ"; ls -d /proc/self/
      cat src/main.c' probe "$$" 2>&1)
  expect_match "$who: the supervisor's host pid was passed in" "$out" "supervisor: [0-9]+"
  local pid
  pid=$(sed -n 's/^supervisor: //p' <<<"$out")
  expect_match "$who: the supervisor's /proc/PID is not there" "$out" "/proc/$pid/environ: No such file or directory"
  expect_match "$who: the test shell's /proc/PID is not there" "$out" "/proc/$$/environ: No such file or directory"
  expect_not_contains "$who: the token was not read" "$out" "$gh"
  expect_contains "$who: the sandbox's own /proc works" "$out" "/proc/self/"
  expect_contains "$who: the project's source reads" "$out" "int main(void)"
}

# Models: looking for other processes to attack. Inside, ps and /proc show
# only the sandbox (PID 1 is airlock's init), and a process outside cannot be
# signalled (no such process), while it keeps running.
attack_other_processes() {
  local who=$1 marker="300.$$" outside out
  sleep "$marker" &
  outside=$!
  out=$(sandbox "$who" -- sh -c '
    ps -eo pid=,args=; echo "pids: $(ls /proc | grep "^[0-9]" | tr "\n" " ")"
    kill -0 "$1"; echo "kill -0: $?"; kill -KILL "$1"; echo "kill -KILL: $?"
    cat src/main.c' probe "$outside" 2>&1)
  expect_match "$who: PID 1 is airlock's init" "$out" "^ *1 $AIRLOCK "
  expect_not_contains "$who: the outside process is not listed" "$out" "sleep $marker"
  expect_eq "$who: ps lists only init, the shell and ps" 3 "$(grep -cE '^ *[0-9]+ ' <<<"$out")"
  local pids
  pids=$(sed -n 's/^pids: //p' <<<"$out")
  # init is 1, the command 2, and the rest come from 300 on (limits.processes:
  # the sandbox's pid_max, limits.cpp).
  expect_match "$who: /proc holds only the sandbox's few pids" "$pids" "^1 2 (3[0-9][0-9] ){1,6}$"
  expect_match "$who: kill -0 outside: no such process" "$out" "kill: No such process[[:space:]]+kill -0: 1"
  expect_match "$who: kill -KILL outside: no such process" "$out" "kill: No such process[[:space:]]+kill -KILL: 1"
  expect_contains "$who: the project's source reads" "$out" "int main(void)"
  if kill -0 "$outside" 2>/dev/null; then pass "$who: the outside process still runs"; else fail "$who: the outside process died"; fi
  kill "$outside"
  wait "$outside" 2>/dev/null
}

# Models: planting a file outside what the profile lets the command write (a
# directory of the host the user may write to, the home directory, the
# host's /tmp), while the build writes its output into the project, where it
# appears on the host.
attack_write_outside() {
  local who=$1
  local outside="$SCRATCH/$who/outside" out tmpname="airlock-core-tmp-$$-$who"
  mkdir -p "$outside"
  [[ $who == root ]] || chown $NOBODY:$NOBODY "$outside"
  out=$(sandbox "$who" -- sh -c '
    touch "$1/pwned"; echo "evil" >>"$HOME/.bashrc"
    echo built >build.out && echo "project write ok"
    echo private >"/tmp/$2" && cat "/tmp/$2"' probe "$outside" "$tmpname" 2>&1)
  # Read-only, refused by Landlock, or not there at all: a top-level host
  # directory that no rule covers (here /var, holding both) is hidden.
  expect_match "$who: the outside directory cannot be written" "$out" \
    "$outside/pwned.*(Read-only file system|Permission denied|No such file or directory)"
  expect_match "$who: the home directory cannot be written" "$out" \
    "\.bashrc.*(Read-only file system|Permission denied|Directory nonexistent|No such file or directory)"
  [[ ! -e $outside/pwned ]] && pass "$who: nothing appeared outside" || fail "$who: $outside/pwned was created"
  [[ ! -e $FAKE_HOME/.bashrc ]] && pass "$who: no .bashrc planted" || fail "$who: $FAKE_HOME/.bashrc was created"
  expect_contains "$who: writing in the project works" "$out" "project write ok"
  expect_eq "$who: the project's new file is on the host" "built" "$(cat "$PROJECT/build.out" 2>/dev/null)"
  expect_contains "$who: /tmp inside is writable" "$out" "private"
  [[ ! -e /tmp/$tmpname ]] && pass "$who: /tmp inside is private" || fail "$who: /tmp/$tmpname reached the host"
}

# Models: a command that relies on, or changes, the machine's identity.
check_hostname() {
  # A profile of the operator's, outside the project a step can write.
  local who=$1 host out profile="$SCRATCH/$who/profiles/hostname.toml"
  host=$(hostname)
  # sethostname(2) itself: hostname(1) refuses a non-root user on its own.
  out=$(sandbox "$who" -- sh -c '
    hostname; /usr/bin/python3 -c "import socket; socket.sethostname(\"pwned\")"; hostname' 2>&1)
  expect_eq "$who: the hostname inside is airlock" "airlock" "$(head -n1 <<<"$out")"
  expect_match "$who: changing it is refused" "$out" "Operation not permitted"
  expect_eq "$who: ... and it did not change" "airlock" "$(tail -n1 <<<"$out")"
  mkdir -p "${profile%/*}" && chmod 755 "${profile%/*}"
  printf '[profile]\nextends = ["default"]\n\n[process]\nhostname = "buildbox"\n' >"$profile"
  chmod 644 "$profile"
  expect_eq "$who: process.hostname sets it" "buildbox" "$(sandbox "$who" --profile "$profile" -- hostname 2>&1)"
  expect_eq "$who: the host's hostname is untouched" "$host" "$(hostname)"
}

# A TCP server on the host's 127.0.0.1 and one on an abstract unix socket
# (which, like loopback, belongs to the network namespace): models a database
# or a docker/dbus-like service that the host trusts because it is local.
start_loopback_server() {
  local portfile="$SCRATCH/server.port"
  ABSTRACT="airlock-core-test-$$"
  /usr/bin/python3 -c '
import select, socket, sys
tcp = socket.socket(); tcp.bind(("127.0.0.1", 0)); tcp.listen(16)
unix = socket.socket(socket.AF_UNIX); unix.bind("\0" + sys.argv[1]); unix.listen(16)
print(tcp.getsockname()[1], flush=True)
while True:
    for server in select.select([tcp, unix], [], [])[0]:
        conn, _ = server.accept(); conn.sendall(b"hello from the host\n"); conn.close()
' "$ABSTRACT" >"$portfile" &
  SERVER_PID=$!
  wait_until 10 test -s "$portfile" || skip "python3 could not start a loopback server"
  PORT=$(cat "$portfile")
}

# Connects to the host's services by TCP and abstract unix socket; prints
# "NAME: hello..." or "NAME: error TEXT". Then binds the same port on the
# sandbox's own loopback and talks to itself (the legitimate use of lo).
readonly NET_CLIENT='
import socket, sys
port, name = int(sys.argv[1]), sys.argv[2]
def attempt(label, family, address):
    s = socket.socket(family)
    s.settimeout(5)
    try:
        s.connect(address); print(label + ":", s.recv(100).decode().strip())
    except OSError as e:
        print(label + ": error", e.strerror or e)
attempt("tcp", socket.AF_INET, ("127.0.0.1", port))
attempt("abstract", socket.AF_UNIX, "\0" + name)
if len(sys.argv) > 3:
    own = socket.socket(); own.bind(("127.0.0.1", port)); own.listen(1)
    c = socket.create_connection(("127.0.0.1", port)); a, _ = own.accept(); a.sendall(b"own lo works")
    print("self:", c.recv(100).decode())
'

# Models: exfiltration through the network, or abuse of a host loopback
# service. Inside there is only lo, and the host's listeners are not on it.
attack_network() {
  local who=$1 out
  out=$(as_user "$who" /usr/bin/python3 -c "$NET_CLIENT" "$PORT" "$ABSTRACT")
  expect_eq "$who: control: the host services answer outside" \
    "tcp: hello from the host"$'\n'"abstract: hello from the host" "$out"
  out=$(sandbox "$who" -- sh -c '
    echo "ifaces: $(tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d " " | tr "\n" " ")"
    ip -o link | cut -d: -f2
    /usr/bin/python3 -c "$0" "$1" "$2" self
    bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>&1' "$NET_CLIENT" "$PORT" "$ABSTRACT" 2>&1)
  expect_eq "$who: only lo in /proc/net/dev" "ifaces: lo " "$(grep '^ifaces:' <<<"$out")"
  expect_eq "$who: only lo in ip link" " lo" "$(grep -v ':' <<<"$out")"
  expect_eq "$who: host TCP loopback: refused" "tcp: error Connection refused" "$(grep '^tcp:' <<<"$out")"
  expect_eq "$who: host abstract socket: refused" "abstract: error Connection refused" "$(grep '^abstract:' <<<"$out")"
  expect_contains "$who: bash /dev/tcp: refused" "$out" "/dev/tcp/127.0.0.1/$PORT: Connection refused"
  expect_eq "$who: the sandbox's own lo works on the same port" "self: own lo works" "$(grep '^self:' <<<"$out")"
}

# Models: an administrator (or an installer) making airlock setuid/setgid "so
# that it works"; it must refuse before doing anything. A setuid-root copy is
# run by uid 65534; for root, a copy setuid to 65534 (the ids differ either
# way; a root-owned setuid binary run by root gains nothing).
check_setuid_refused() {
  local who=$1
  local dir="$SCRATCH/$who/setuid" out status owner group
  mkdir -p "$dir"
  chmod 755 "$dir"
  if [[ $who == root ]]; then owner=$NOBODY group=$NOBODY; else owner=0 group=0; fi
  local bit
  for bit in u+s g+s; do
    install -m 755 "$AIRLOCK" "$dir/airlock"
    chown "$owner:$group" "$dir/airlock"
    chmod "$bit" "$dir/airlock"
    out=$(cd "$PROJECT" && as_user "$who" "$dir/airlock" run -- sh -c 'echo ran >ran-setuid' 2>&1)
    status=$?
    expect_eq "$who: $bit copy exits 125" 125 "$status"
    expect_match "$who: $bit copy says it must not be setuid/setgid" "$out" "must not be setuid/setgid"
    [[ ! -e $PROJECT/ran-setuid ]] && pass "$who: $bit copy ran nothing" || fail "$who: $bit copy ran the command"
    rm -f "$PROJECT/ran-setuid"
  done
  # Legitimate: the same copy without the bits runs.
  chmod u-s,g-s "$dir/airlock"
  out=$(cd "$PROJECT" && as_user "$who" "$dir/airlock" -q run -- cat src/main.c 2>&1)
  expect_contains "$who: without the bits the copy runs" "$out" "int main(void)"
}

require_full_sandbox
require_commands ps ip /usr/bin/python3
start_loopback_server
for who in root nobody; do
  make_fixture "$who"
  before=$(host_leftovers)
  attack_supervisor_environ "$who"
  attack_other_processes "$who"
  attack_write_outside "$who"
  check_hostname "$who"
  attack_network "$who"
  check_setuid_refused "$who"
  expect_nothing_left "$who: nothing left behind" "$before"
done
finish
