#!/usr/bin/env bash
# Does packaging/container/Dockerfile build as written, and does its image's
# entrypoint work? Checked without Docker: there is no container engine and no
# image registry here, only Debian's package mirrors. So the Dockerfile is
# read as Docker reads it (comments, `\` continuations, exec and shell forms)
# and each instruction is carried out on clean Debian 12 roots:
#
#   FROM debian:bookworm     a fresh minimal bookworm root (mmdebstrap minbase)
#   FROM node:20-bookworm-slim
#                            NOT THE REAL IMAGE, which cannot be pulled here: a
#                            substitute, a fresh bookworm root with Debian's
#                            nodejs package (Node 18, in /usr/bin, where the
#                            image has Node 20 in /usr/local/bin) and the user
#                            node, uid/gid 1000, home /home/node, as the image has
#   COPY [--from=STAGE]      from the repository top (the build context of
#                            `docker build -f packaging/container/Dockerfile .`)
#                            or from that stage's root, owned by root
#   RUN                      /bin/sh -c in the root, as root, with a fresh /proc,
#                            the host's /dev, a read-only /sys and the host's
#                            /etc/resolv.conf (so apt reaches the mirrors)
#   WORKDIR, VOLUME, STOPSIGNAL, ENTRYPOINT, CMD
#                            kept for the run; EXPOSE and LABEL are metadata
# Any other instruction or option fails the check instead of being skipped, so
# a change to the Dockerfile this script does not understand cannot pass.
#
# Then the last stage's ENTRYPOINT + CMD run as `docker run` would start them:
# as root, in WORKDIR, with the image's PATH, each VOLUME a fresh directory
# holding the image's content, a tmpfs /tmp, plus a Docker-style secret in
# /run/secrets and a token variable (the worker must get neither). Every
# command runs in private mount, pid, uts and ipc namespaces, and the root is
# entered with pivot_root, not chroot: the kernel refuses a user namespace to a
# chrooted process, and airlock builds its sandbox in one. Checked: airlock
# --version in the image; the entrypoint starts the worker; within 10 s
# /data/worker.log says it runs as node, as pid 2 under airlock's init, with
# the code read-only and /data writable, and from outside the worker has no
# capability, no_new_privs, a seccomp filter, a network namespace with only
# loopback, no token variable and no view of the secret; STOPSIGNAL to the
# entrypoint makes it exit 0 and the worker log that it stopped.
#
# Not emulated: Docker's capability set, seccomp and AppArmor profiles and
# /proc masks (integration/test_container_*.sh and engines.sh cover those), the
# container's own network namespace, image layers and caching.
#
# Opt-in, not run by ctest: it downloads a few hundred MB of packages and
# builds airlock from scratch (3 to 6 minutes on 2 cores). Run as root:
#   bash integration/dockerfile_check.sh [DOCKERFILE]
# Prints ok/FAIL/note lines and the time of each phase; exits 1 on a failure.
# AIRLOCK_DOCKERFILE_KEEP=1 keeps the scratch directory (the roots, the logs).
set -euo pipefail
umask 022

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DOCKERFILE=$(realpath "${1:-$REPO/packaging/container/Dockerfile}")
CONTEXT=$REPO
MIRROR=${AIRLOCK_DEBIAN_MIRROR:-http://deb.debian.org/debian}
SECURITY_MIRROR=${AIRLOCK_DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
# The PATH both images set (Docker's default).
IMAGE_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
# How long the worker has to log that it started, and the entrypoint to stop.
START_SECONDS=10
STOP_SECONDS=20

FAILURES=0
pass() { printf 'ok   %s\n' "$*"; }
fail() { FAILURES=$((FAILURES + 1)); printf 'FAIL %s\n' "$*"; }
note() { printf 'note %s\n' "$*"; }
# die WHAT: a failure after which nothing else can be checked.
die() { fail "$*"; print_times; exit 1; }

[[ $(id -u) == 0 ]] || { echo "dockerfile_check.sh: run as root (it bootstraps Debian roots and mounts)" >&2; exit 2; }
[[ -r $DOCKERFILE ]] || { echo "dockerfile_check.sh: no $DOCKERFILE" >&2; exit 2; }

# --- Scratch space, and leaving nothing behind ------------------------------
# Everything lives under one directory in /var/tmp (the roots are too big for
# a tmpfs /tmp). The mounts of RUN and of the container live in namespaces
# that die with their process, so the host never sees them; the exit trap
# still unmounts whatever is left under the directory (an interrupted
# mmdebstrap's) before removing it, and removes it without crossing into
# another file system, so a bind of the host's /dev can never be emptied.
SCRATCH=$(mktemp -d /var/tmp/airlock-dockerfile.XXXXXX)
chmod 755 "$SCRATCH"
mkdir "$SCRATCH/logs"
BG_PID=""     # the command being waited for (mmdebstrap, or a command in a root)

scratch_mounts() {
  awk -v dir="$SCRATCH/" 'index($5, dir) == 1 {print $5}' /proc/self/mountinfo | sort -r
}
# kill_ns_init: kill the last command started in a root (in_root), if it
# still runs: pid 1 of its pid namespace, whose end kills every process in
# it. Only while it is that process (pid 1 inside, its parent the unshare
# this script started), never a process that reused the pid.
kill_ns_init() {
  local pid ppid
  pid=$(grep -x '[0-9]*' "$SCRATCH/ns.pid" 2>/dev/null) || return 0
  [[ $(awk '$1 == "NSpid:" {print $NF}' "/proc/$pid/status" 2>/dev/null) == 1 ]] || return 0
  ppid=$(awk '$1 == "PPid:" {print $2}' "/proc/$pid/status" 2>/dev/null) || return 0
  tr '\0' ' ' <"/proc/$ppid/cmdline" 2>/dev/null | grep -qF "unshare --mount --pid" || return 0
  grep -qaF "$SCRATCH/ns.pid" "/proc/$ppid/cmdline" 2>/dev/null || return 0
  kill -KILL "$pid" 2>/dev/null || true
}
cleanup() {
  local m
  kill_ns_init
  [[ -z $BG_PID ]] || { kill -TERM "$BG_PID" 2>/dev/null && wait "$BG_PID" 2>/dev/null; } || true
  for m in $(scratch_mounts); do umount -l "$m" || true; done
  if [[ -n $(scratch_mounts) ]]; then
    echo "dockerfile_check.sh: mounts left under $SCRATCH, not removing it" >&2
  elif [[ -n ${AIRLOCK_DOCKERFILE_KEEP:-} ]]; then
    echo "dockerfile_check.sh: AIRLOCK_DOCKERFILE_KEEP is set, $SCRATCH is kept" >&2
  else
    rm -rf --one-file-system "$SCRATCH"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# run_bg LOG CMD...: CMD in the background with its output in LOG, waited for
# with `wait` so that a signal to this script is handled at once (bash runs
# traps only after a foreground command ends). Sets RC.
run_bg() {
  local log=$1
  shift
  "$@" >"$log" 2>&1 </dev/null &
  BG_PID=$!
  RC=0
  wait "$BG_PID" || RC=$?
  BG_PID=""
}

# --- Timing -----------------------------------------------------------------
PHASES=()
PHASE_TIMES=()
PHASE_START=""
phase_begin() { phase_end; PHASES+=("$1"); PHASE_START=$EPOCHREALTIME; }
phase_end() {
  [[ -n $PHASE_START ]] || return 0
  PHASE_TIMES+=("$(awk -v a="$PHASE_START" -v b="$EPOCHREALTIME" 'BEGIN {printf "%.1f", b - a}')")
  PHASE_START=""
}
print_times() {
  local i
  phase_end
  for i in "${!PHASE_TIMES[@]}"; do printf 'time %-12s %6s s\n' "${PHASES[i]}" "${PHASE_TIMES[i]}"; done
}

# --- Reading the Dockerfile -------------------------------------------------
# As Docker's parser: a line starting with # is a comment (or a parser
# directive) even inside a continuation, blank lines are skipped, a trailing
# backslash joins the next line (the newline dropped, its spaces kept), the
# instruction keyword is case-insensitive.
KEYS=()    # instruction keyword, upper case
ARGS=()    # the rest of the instruction
LINENOS=() # the line it starts on
parse_dockerfile() {
  local line buf="" start=0 n=0 continued='^(.*)\\[[:space:]]*$' head
  while IFS= read -r line || [[ -n $line ]]; do
    n=$((n + 1))
    line=${line%$'\r'}
    [[ $line =~ ^[[:space:]]*# || $line =~ ^[[:space:]]*$ ]] && continue
    ((start)) || start=$n
    if [[ $line =~ $continued ]]; then
      buf+=${BASH_REMATCH[1]}
      continue
    fi
    buf+=$line
    buf=${buf#"${buf%%[![:space:]]*}"}
    head=${buf%%[[:space:]]*}
    KEYS+=("${head^^}")
    ARGS+=("$(sed 's/^[[:space:]]*//' <<<"${buf:${#head}}")")
    LINENOS+=("$start")
    buf=""
    start=0
  done <"$1"
  [[ -z $buf ]] || die "$1 ends inside a continuation (line $start)"
}

# json_array TEXT: the exec form ["a", "b"] into ARGV; fails for anything
# that is not a JSON array of strings (Docker then takes the shell form).
json_array() {
  [[ $1 == \[* ]] || return 1
  mapfile -d '' ARGV < <(python3 -c 'import json, sys
a = json.loads(sys.argv[1])
assert isinstance(a, list) and all(isinstance(s, str) for s in a)
sys.stdout.write("".join(s + "\0" for s in a) + "end\0")' "$1" 2>/dev/null)
  # The last word marks a complete answer (a failed parse prints nothing).
  ((${#ARGV[@]})) && [[ ${ARGV[-1]} == end ]] || return 1
  unset 'ARGV[-1]'
}

# command_form TEXT: ARGV as Docker runs RUN, CMD or ENTRYPOINT TEXT.
command_form() { json_array "$1" || ARGV=(/bin/sh -c "$1"); }

# --- Running commands in a root ---------------------------------------------
# enter_root ROOT WORKDIR HOSTNAME PIDFILE [tmpfs=DIR | bind=SRC:DIR]... -- CMD...
# Runs as the host's bash inside the namespaces in_root makes, before anything
# of the root runs: mounts what a container has, makes ROOT the root with
# pivot_root, drops the host's tree and execs CMD (the root's own binaries).
enter_root() {
  local root=$1 workdir=$2 name=$3 pidfile=$4 pid _ spec
  shift 4
  # /proc is still the host's here, so /proc/self/stat gives this process's
  # pid as the host sees it; the exec below keeps the pid, so it is CMD's.
  read -r pid _ </proc/self/stat
  echo "$pid" >"$pidfile"
  mount --bind "$root" "$root"
  mount -t proc proc "$root/proc"
  mount --rbind /dev "$root/dev"
  mount -t sysfs -o ro sysfs "$root/sys"
  # A symbolic link would be followed on the host's side of the mount.
  if [[ -L $root/etc/resolv.conf ]]; then echo "enter_root: $root/etc/resolv.conf is a symbolic link" >&2; exit 1; fi
  [[ -e $root/etc/resolv.conf ]] || : >"$root/etc/resolv.conf"
  mount --bind /etc/resolv.conf "$root/etc/resolv.conf"
  hostname "$name"
  while [[ $1 != -- ]]; do
    case $1 in
      tmpfs=*) mount -t tmpfs -o mode=1777 tmpfs "$root${1#tmpfs=}" ;;
      bind=*) spec=${1#bind=}; mount --bind "${spec%%:*}" "$root${spec#*:}" ;;
    esac
    shift
  done
  shift
  cd "$root"
  # The old root ends up on top of the new one; detaching it leaves only ROOT.
  pivot_root . .
  umount -l .
  cd "$workdir"
  exec "$@"
}

# in_root ROOT WORKDIR HOSTNAME [MOUNT]... -- CMD...: CMD as root in ROOT, in
# private mount, pid, uts and ipc namespaces (see enter_root). Nothing mounted
# there is visible outside, and it all goes when CMD's pid namespace ends.
in_root() {
  local root=$1 workdir=$2 name=$3
  shift 3
  rm -f "$SCRATCH/ns.pid"
  nice -n "${NICENESS:-0}" unshare --mount --pid --fork --uts --ipc --propagation private -- \
    bash -c "set -euo pipefail; $(declare -f enter_root); enter_root \"\$@\"" enter_root \
    "$root" "$workdir" "$name" "$SCRATCH/ns.pid" "$@"
}

# in_image ROOT WORKDIR [MOUNT]... -- CMD...: CMD in the root as a build step
# runs, with the image's PATH, HOME=/root and nothing else of this
# environment. Niced: the machine is shared.
in_image() {
  local root=$1 workdir=$2 mounts=() NICENESS=10
  shift 2
  while [[ $1 != -- ]]; do mounts+=("$1"); shift; done
  shift
  in_root "$root" "$workdir" buildkitsandbox "${mounts[@]}" -- \
    env -i PATH="$IMAGE_PATH" HOME=/root HOSTNAME=buildkitsandbox "$@"
}

# step LOG WHAT ROOT WORKDIR -- CMD...: a build step; its output goes to LOG
# and is shown if it fails, which ends the check.
step() {
  local log=$1 what=$2 t0=$EPOCHREALTIME
  shift 2
  run_bg "$log" in_image "$@"
  if [[ $RC != 0 ]]; then
    tail -n 40 "$log" | sed 's/^/     | /'
    die "$what: exit status $RC (last lines of its output above)"
  fi
  pass "$what ($(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN {printf "%.0f", b - a}') s)"
}

# --- The base images --------------------------------------------------------
BASE="$SCRATCH/bookworm"
bootstrap() {
  command -v mmdebstrap >/dev/null || {
    note "installing mmdebstrap"
    apt-get install -y -qq --no-install-recommends mmdebstrap >/dev/null 2>&1 ||
      { apt-get update -qq && apt-get install -y -qq --no-install-recommends mmdebstrap >/dev/null; }
  }
  # minbase: Essential and required packages and apt, like the debian:bookworm
  # image; the same three suites it lists. mmdebstrap leaves no package lists.
  run_bg "$SCRATCH/logs/mmdebstrap.log" mmdebstrap --variant=minbase bookworm "$BASE" \
    "deb $MIRROR bookworm main" "deb $MIRROR bookworm-updates main" "deb $SECURITY_MIRROR bookworm-security main"
  [[ $RC == 0 ]] || { tail -n 20 "$SCRATCH/logs/mmdebstrap.log"; die "mmdebstrap bookworm: exit status $RC"; }
  pass "a clean Debian 12 root ($(du -sh "$BASE" | cut -f1), $(grep -c '^Package:' "$BASE/var/lib/dpkg/status") packages)"
}

# base_image IMAGE ROOT: the root a FROM IMAGE starts from.
base_image() {
  local image=$1 root=$2
  case $image in
    debian:bookworm)
      cp -a "$BASE" "$root"
      ;;
    node:20-bookworm-slim)
      note "$image cannot be pulled here: substituted by a clean Debian 12 root with Debian's nodejs and the user node (1000:1000, /home/node)"
      cp -a "$BASE" "$root"
      # What the node image adds to bookworm-slim, as its Dockerfile does it.
      step "$SCRATCH/logs/node.log" "substitute for $image: nodejs and the user node" "$root" / -- /bin/sh -c '
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs \
        && rm -rf /var/lib/apt/lists/* \
        && groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /bin/bash --create-home node'
      note "substitute's node: $(in_image "$root" / -- node --version), user node: $(in_image "$root" / -- id node)"
      ;;
    *) die "FROM $image: no clean root stands in for this image here" ;;
  esac
}

# --- COPY -------------------------------------------------------------------
# sources BASE PATTERN: what PATTERN names under BASE, relative to it, one a
# line (a glob as Docker's COPY expands it); nothing outside BASE.
sources() {
  local base=$1 pattern=${2#/} m real top
  (
    cd "$base"
    top=$(realpath .)
    shopt -s nullglob dotglob
    # shellcheck disable=SC2086 # the pattern is a glob on purpose
    for m in $pattern; do
      [[ -e $m || -L $m ]] || continue
      # Where it sits, not where a symbolic link points: COPY copies a link as a link.
      real=$(realpath -m "$(dirname "$m")")/$(basename "$m")
      [[ $real == "$top/." || $real == "$top"/* ]] || { echo "outside:$m"; continue; }
      printf '%s\n' "$m"
    done
  )
}

# copy_in ROOT WORKDIR BASE SOURCE... DEST: COPY's rules. A source directory's
# content is copied, not the directory; DEST is a directory when it ends in /,
# when there are several sources or when it is one already; what is copied
# belongs to root (no --chown) and keeps its mode.
copy_in() {
  local root=$1 workdir=$2 base=$3
  shift 3
  local dest=${*: -1} patterns=("${@:1:$#-1}") found=() p m
  [[ $dest == /* ]] || dest=${workdir%/}/$dest
  for p in "${patterns[@]}"; do
    mapfile -t m < <(sources "$base" "$p")
    ((${#m[@]})) || { echo "no source matches $p"; return 1; }
    [[ ${m[*]} != *outside:* ]] || { echo "$p is outside the build context"; return 1; }
    found+=("${m[@]}")
  done
  for m in "${found[@]}"; do
    # (set -e does not hold in a function called with ||: each step says so.)
    if [[ -d $base/$m && ! -L $base/$m ]]; then
      mkdir -p "$root$dest" || return 1
      tar -C "$base/$m" --owner=0 --group=0 --numeric-owner -cf - . | tar -C "$root$dest" -xpf - || return 1
    elif [[ $dest == */ || ${#found[@]} -gt 1 || -d $root$dest ]]; then
      mkdir -p "$root$dest" && cp -a "$base/$m" "$root$dest/" &&
        chown -h 0:0 "$root${dest%/}/$(basename "$m")" || return 1
    else
      mkdir -p "$(dirname "$root$dest")" && cp -a "$base/$m" "$root$dest" && chown -h 0:0 "$root$dest" || return 1
    fi
  done
}

# --- Interpreting the instructions ------------------------------------------
declare -A STAGE_ROOTS   # stage name and index -> its root
STAGE=-1
ROOT=""
WORKDIR=/
ENTRYPOINT=()
CMD=()
VOLUMES=()
STOPSIGNAL=TERM

do_from() {
  local words
  read -ra words <<<"$1"
  [[ ${words[0]} != --* ]] || die "line $2: FROM ${words[0]}: option not interpreted by this check"
  STAGE=$((STAGE + 1))
  phase_begin "stage $((STAGE + 1))"
  ROOT="$SCRATCH/stage$STAGE"
  WORKDIR=/
  ENTRYPOINT=()
  CMD=()
  VOLUMES=()
  STOPSIGNAL=TERM
  STAGE_ROOTS[$STAGE]=$ROOT
  if ((${#words[@]} == 3)) && [[ ${words[1],,} == as ]]; then
    STAGE_ROOTS[${words[2]}]=$ROOT
  elif ((${#words[@]} != 1)); then
    die "line $2: FROM $1: not understood"
  fi
  echo "== line $2: FROM $1"
  base_image "${words[0]}" "$ROOT"
}

do_copy() {
  local words base=$CONTEXT what="line $2: COPY $1" t0=$EPOCHREALTIME
  if json_array "$1"; then words=("${ARGV[@]}"); else read -ra words <<<"$1"; fi
  while [[ ${words[0]} == --* ]]; do
    case ${words[0]} in
      --from=*)
        base=${STAGE_ROOTS[${words[0]#--from=}]:-}
        [[ -n $base ]] || die "$what: --from names no earlier stage (an image would be pulled)"
        ;;
      --link) ;;  # the same files, only layered differently
      *) die "$what: option ${words[0]} not interpreted by this check" ;;
    esac
    words=("${words[@]:1}")
  done
  ((${#words[@]} >= 2)) || die "$what: needs a source and a destination"
  copy_in "$ROOT" "$WORKDIR" "$base" "${words[@]}" >"$SCRATCH/logs/copy.log" 2>&1 ||
    die "$what: $(cat "$SCRATCH/logs/copy.log")"
  pass "$what ($(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN {printf "%.0f", b - a}') s)"
}

do_run() {
  [[ $1 != --* ]] || die "line $2: RUN ${1%% *}: option not interpreted by this check"
  [[ $1 != \<\<* ]] || die "line $2: RUN with a here-document: not interpreted by this check"
  command_form "$1"
  step "$SCRATCH/logs/line$2.log" "line $2: RUN $(head -c 70 <<<"$1" | tr -s ' ')..." "$ROOT" "$WORKDIR" -- "${ARGV[@]}"
}

do_workdir() {
  [[ $1 == /* ]] && WORKDIR=$1 || WORKDIR=${WORKDIR%/}/$1
  mkdir -p "$ROOT$WORKDIR"
  pass "line $2: WORKDIR $1"
}

do_volume() {
  local v
  if json_array "$1"; then VOLUMES+=("${ARGV[@]}"); else read -ra v <<<"$1"; VOLUMES+=("${v[@]}"); fi
  pass "line $2: VOLUME $1 (a fresh volume at run time)"
}

# check_instructions: every instruction is one this script carries out, and
# every FROM one it has a root for, before minutes go into bootstrapping.
check_instructions() {
  local i image
  # Docker would leave out what it names; this script copies the whole context.
  [[ ! -e $CONTEXT/.dockerignore ]] || die "$CONTEXT/.dockerignore: not interpreted by this check"
  for i in "${!KEYS[@]}"; do
    case ${KEYS[i]} in
      FROM)
        image=${ARGS[i]%%[[:space:]]*}
        [[ $image == debian:bookworm || $image == node:20-bookworm-slim ]] ||
          die "line ${LINENOS[i]}: FROM $image: no clean root stands in for this image here"
        ;;
      COPY | RUN | WORKDIR | VOLUME | STOPSIGNAL | ENTRYPOINT | CMD | EXPOSE | LABEL) ;;
      *) die "line ${LINENOS[i]}: ${KEYS[i]}: instruction not interpreted by this check" ;;
    esac
  done
  pass "read ${#KEYS[@]} instructions, all of kinds this check carries out"
}

interpret() {
  local i
  for i in "${!KEYS[@]}"; do
    local args=${ARGS[i]} line=${LINENOS[i]}
    [[ ${KEYS[i]} == FROM || -n $ROOT ]] || die "line $line: ${KEYS[i]} before any FROM"
    case ${KEYS[i]} in
      FROM) do_from "$args" "$line" ;;
      COPY) do_copy "$args" "$line" ;;
      RUN) do_run "$args" "$line" ;;
      WORKDIR) do_workdir "$args" "$line" ;;
      VOLUME) do_volume "$args" "$line" ;;
      STOPSIGNAL) STOPSIGNAL=${args#SIG}; pass "line $line: STOPSIGNAL $args" ;;
      ENTRYPOINT) command_form "$args"; ENTRYPOINT=("${ARGV[@]}"); CMD=(); pass "line $line: ENTRYPOINT $args" ;;
      CMD) command_form "$args"; CMD=("${ARGV[@]}"); pass "line $line: CMD $args" ;;
      EXPOSE | LABEL) note "line $line: ${KEYS[i]} is metadata" ;;
      *) die "line $line: ${KEYS[i]}: instruction not interpreted by this check" ;;
    esac
  done
  ((STAGE >= 0)) || die "no FROM in $DOCKERFILE"
}

# --- The container ----------------------------------------------------------
CONTAINER_MOUNTS=()
DATA=""          # the host's side of /data, where the worker logs
TOKEN=npm_planted0123456789abcdef0123456789ab
SECRET=planted-docker-secret

# prepare_container: the mounts `docker run` would add. Each VOLUME is a new
# volume, which Docker fills with the image's content there (owner and mode
# included); a secret is bound into /run/secrets as Docker and Kubernetes do.
prepare_container() {
  local i v vol
  CONTAINER_MOUNTS=(tmpfs=/tmp)
  for i in "${!VOLUMES[@]}"; do
    v=${VOLUMES[i]}
    vol="$SCRATCH/volume$i"
    mkdir -p "$ROOT$v" "$vol"
    cp -a "$ROOT$v/." "$vol/"
    chown --reference="$ROOT$v" "$vol"
    chmod --reference="$ROOT$v" "$vol"
    CONTAINER_MOUNTS+=("bind=$vol:$v")
    [[ $v != /data ]] || DATA=$vol
  done
  [[ -n $DATA ]] || DATA="$ROOT/data"
  echo "$SECRET" >"$SCRATCH/secret"
  mkdir -p "$ROOT/run/secrets"
  : >"$ROOT/run/secrets/api-token"
  CONTAINER_MOUNTS+=("bind=$SCRATCH/secret:/run/secrets/api-token")
}

# in_container CMD...: CMD as `docker run` starts a container's process: as
# root, in WORKDIR, with the image's PATH and the variables Docker sets, plus
# a token variable as a careless `docker run -e` would pass.
in_container() {
  in_root "$ROOT" "$WORKDIR" dockerfile-check "${CONTAINER_MOUNTS[@]}" -- \
    env -i PATH="$IMAGE_PATH" HOSTNAME=dockerfile-check HOME=/root NPM_TOKEN="$TOKEN" "$@"
}

# descendants PID: every process below PID, as the host sees them.
descendants() {
  local child
  for child in $(pgrep -P "$1"); do
    echo "$child"
    descendants "$child"
  done
}

# the_worker ENTRYPOINT_PID: the worker's pid (the node process under airlock).
the_worker() {
  local pid comm
  for pid in $(descendants "$1"); do
    comm=$(cat "/proc/$pid/comm" 2>/dev/null) || continue
    [[ $comm != node ]] || { echo "$pid"; return 0; }
  done
  return 1
}

# interfaces PID: the network interfaces PID sees, sorted, on one line.
interfaces() { awk -F: 'NR > 2 {gsub(/ /, "", $1); print $1}' "/proc/$1/net/dev" | sort | paste -sd' '; }

# status_field PID NAME: a field of /proc/PID/status.
status_field() { awk -v f="$2:" '$1 == f {print $2}' "/proc/$1/status"; }

check_version() {
  local out rc=0
  out=$(in_container airlock --version 2>&1) || rc=$?
  if [[ $rc == 0 && $out == "airlock "[0-9]* ]]; then
    pass "airlock --version in the image: $out"
  else
    fail "airlock --version in the image: exit status $rc: $out"
  fi
}

# check_worker_log: what the worker says the sandbox let it do.
check_worker_log() {
  local log
  log=$(cat "$DATA/worker.log" 2>/dev/null) || true
  sed 's/^/     | /' <<<"$log"
  [[ $log == *"started: uid 1000,"* ]] && pass "the worker runs as node (uid 1000), not as the container's root" ||
    fail "the worker's uid: $(grep started <<<"$log")"
  [[ $log == *", pid 2,"* ]] && pass "the worker is pid 2, under airlock's init" ||
    fail "the worker's pid: $(grep started <<<"$log")"
  [[ $log == *"host worker"* ]] && pass "the worker's hostname is the profile's (worker)" ||
    fail "the worker's hostname: $(grep started <<<"$log")"
  [[ $log == *"code directory $WORKDIR writable: no ("* ]] && pass "the code directory $WORKDIR is read-only to it: $(sed -n 's/.*code directory [^ ]* writable: //p' <<<"$log")" ||
    fail "the code directory: $(grep 'code directory' <<<"$log")"
  [[ $log == *"data directory /data writable: yes"* ]] && pass "/data is writable to it" ||
    fail "the data directory: $(grep 'data directory' <<<"$log")"
}

# check_worker_walls PID: what the host sees of the worker's process.
check_worker_walls() {
  local w=$1 entry=$2 netdevs
  [[ $(status_field "$w" CapEff) == 0000000000000000 ]] && pass "the worker has no capability" ||
    fail "the worker's CapEff: $(status_field "$w" CapEff)"
  [[ $(status_field "$w" NoNewPrivs) == 1 ]] && pass "the worker runs with no_new_privs" ||
    fail "the worker's NoNewPrivs: $(status_field "$w" NoNewPrivs)"
  [[ $(status_field "$w" Seccomp) == 2 ]] && pass "the worker runs under a seccomp filter" ||
    fail "the worker's Seccomp: $(status_field "$w" Seccomp)"
  # /proc/PID/net shows the network namespace of PID.
  netdevs=$(interfaces "$w")
  if [[ $(readlink "/proc/$w/ns/net") != "$(readlink "/proc/$entry/ns/net")" && $netdevs == lo ]]; then
    pass "the worker cannot reach the network: a network namespace of its own, with only lo (the container has: $(interfaces "$entry"))"
  else
    fail "the worker's network: interfaces [$netdevs]"
  fi
  if tr '\0' '\n' <"/proc/$entry/environ" | grep -q "^NPM_TOKEN=$TOKEN$"; then
    ! tr '\0' '\n' <"/proc/$w/environ" | grep -q "$TOKEN" && pass "the token variable the container has is not in the worker's environment" ||
      fail "the worker's environment holds the token variable"
  else
    fail "control: the entrypoint's environment lacks the planted NPM_TOKEN"
  fi
  tr '\0' '\n' <"/proc/$w/environ" | grep -qx "DATA_DIR=/data" && pass "the worker has the profile's DATA_DIR=/data" ||
    fail "the worker's environment lacks DATA_DIR=/data"
  # The worker's root as the host sees it: its own mount namespace.
  if [[ $(cat "/proc/$entry/root/run/secrets/api-token" 2>/dev/null) == "$SECRET" ]]; then
    [[ $(cat "/proc/$w/root/run/secrets/api-token" 2>/dev/null) != "$SECRET" ]] &&
      pass "the container's secret /run/secrets/api-token is hidden in the worker's file system" ||
      fail "the worker's file system shows /run/secrets/api-token"
  else
    fail "control: the container itself does not see /run/secrets/api-token"
  fi
}

run_entrypoint() {
  local argv=("${ENTRYPOINT[@]}" "${CMD[@]}") entry="" worker="" i rc=0 t0
  ((${#ENTRYPOINT[@]})) || die "the last stage has no ENTRYPOINT (the node image's own cannot be used here)"
  prepare_container
  check_version
  echo "== the entrypoint: ${argv[*]} (as root, in $WORKDIR)"
  t0=$EPOCHREALTIME
  rm -f "$SCRATCH/ns.pid"  # check_version's
  in_container "${argv[@]}" >"$SCRATCH/logs/entrypoint.out" 2>"$SCRATCH/logs/entrypoint.err" </dev/null &
  BG_PID=$!
  for ((i = 0; i < START_SECONDS * 10; i++)); do
    [[ -n $entry ]] || entry=$(grep -x '[0-9]*' "$SCRATCH/ns.pid" 2>/dev/null) || true
    grep -q "data directory" "$DATA/worker.log" 2>/dev/null && break
    kill -0 "$BG_PID" 2>/dev/null || break
    sleep 0.1
  done
  if [[ -n $entry ]] && kill -0 "$entry" 2>/dev/null && [[ $(cat "/proc/$entry/comm") == airlock ]]; then
    pass "the entrypoint started: airlock is the container's pid 1 (host pid $entry)"
  else
    cat "$SCRATCH/logs/entrypoint.out" "$SCRATCH/logs/entrypoint.err" | sed 's/^/     | /'
    die "the entrypoint did not start or stopped at once"
  fi
  grep -q "data directory" "$DATA/worker.log" 2>/dev/null &&
    pass "within ${START_SECONDS} s the worker wrote /data/worker.log (after $(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN {printf "%.1f", b - a}') s)" ||
    fail "no complete /data/worker.log after ${START_SECONDS} s"
  check_worker_log
  if worker=$(the_worker "$entry"); then
    check_worker_walls "$worker" "$entry"
  else
    fail "no node process under the entrypoint"
  fi
  sleep 1.5 # a heartbeat or two
  [[ $(cat "$DATA/heartbeat" 2>/dev/null) -ge 1 ]] && pass "the worker writes its heartbeat (/data/heartbeat: $(cat "$DATA/heartbeat"))" ||
    fail "no heartbeat in /data"

  # docker stop: STOPSIGNAL to the container's pid 1.
  kill -s "$STOPSIGNAL" "$entry"
  for ((i = 0; i < STOP_SECONDS * 10; i++)); do
    kill -0 "$BG_PID" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$BG_PID" 2>/dev/null; then
    fail "the entrypoint still runs ${STOP_SECONDS} s after SIG$STOPSIGNAL"
    kill -KILL "$entry" 2>/dev/null || true
  fi
  wait "$BG_PID" || rc=$?
  BG_PID=""
  [[ $rc == 0 ]] && pass "SIG$STOPSIGNAL: the entrypoint exits 0" || fail "SIG$STOPSIGNAL: the entrypoint exits $rc"
  [[ $(tail -n 1 "$DATA/worker.log") == *" stopping after "*" ticks" ]] &&
    pass "the worker logged that it stopped: $(tail -n 1 "$DATA/worker.log" | cut -d' ' -f2-)" ||
    fail "the worker's last line is not 'stopping': $(tail -n 1 "$DATA/worker.log")"
  if [[ -s $SCRATCH/logs/entrypoint.err || -s $SCRATCH/logs/entrypoint.out ]]; then
    note "what the container printed (docker logs):"
    cat "$SCRATCH/logs/entrypoint.out" "$SCRATCH/logs/entrypoint.err" | sed 's/^/     | /'
  fi
}

# --- Main -------------------------------------------------------------------
echo "== $DOCKERFILE, build context $CONTEXT, scratch $SCRATCH"
parse_dockerfile "$DOCKERFILE"
check_instructions
phase_begin bootstrap
bootstrap
interpret
phase_begin entrypoint
run_entrypoint
print_times
((FAILURES == 0)) || { echo "$FAILURES failed"; exit 1; }
echo "all passed"
