#!/usr/bin/env bash
# engines.sh ENGINE [--user UID] -- CMD...: runs CMD as the container's root
# (or as UID, which the engine switches to as it does for USER and
# runAsUser: before dropping capabilities) as ENGINE starts a container by default,
# on a plain host, without the engine: /proc and /sys masked in a mount
# namespace of its own (private: nothing reaches the host's), the engine's
# capability bounding set, its seccomp profile read from JSON and loaded
# last (as runc does), all gone with CMD.
#
#   runc          runc's default masked paths (an empty read-only tmpfs over
#                 a directory, /dev/null over a file) and read-only paths,
#                 as Docker, containerd and Kubernetes apply them (runc's
#                 libcontainer/specconv defaults, moby's oci/defaults.go)
#   docker        runc's masks, Docker's default capability set and Docker's
#                 default seccomp profile ($DOCKER_SECCOMP_JSON, default:
#                 the one Debian's golang-github-docker-docker-dev ships,
#                 which packaging/deps.sh unpacks), loaded by
#                 engine_seccomp.py as moby decides its rules
#   docker-airlock
#                 docker, with the seccomp profile airlock recommends
#                 (--security-opt seccomp=seccomp-airlock.json;
#                 $AIRLOCK_SECCOMP_JSON, default
#                 packaging/container/seccomp-airlock.json)
#   podman        rootless podman: a user namespace whose ids 0..65535 are
#                 100000..165535 outside (engine_userns.py), podman's masks,
#                 and podman's default capabilities and seccomp profile from
#                 containers.conf and seccomp.json ($PODMAN_CONF_DIR, default:
#                 Debian's golang-github-containers-common, unpacked by
#                 packaging/deps.sh)
#   k8s           packaging/container/pod.yaml without user namespaces
#                 (hostUsers: true): runc's masks, every capability dropped,
#                 no_new_privs (allowPrivilegeEscalation: false) and the
#                 Localhost seccomp profile seccomp-airlock.json
#   k8s-userns    pod.yaml as written (hostUsers: false): k8s in a user
#                 namespace whose ids 0..65535 are 100000..165535 outside
#
# In a user namespace, files CMD should own must belong to the ids outside
# (the container's root is 100000, its uid 65534 is 165534). Only the paths
# this kernel has are masked.
set -euo pipefail
usage() { sed -n '2,/^set /{/^set /d;s/^# \{0,1\}//;p}' "$0" >&2; exit 2; }
[[ $# -ge 3 ]] || usage
engine=$1
shift
user=()
if [[ $1 == --user ]]; then
  [[ ${2:-} =~ ^[0-9]+$ ]] || usage
  user=(--reuid="$2" --regid="$2" --clear-groups)
  shift 2
fi
[[ ${1:-} == -- ]] || usage
shift
here=$(cd "$(dirname "$0")" && pwd)
need() { [[ -r $1 ]] || { echo "engines.sh: $engine needs $1 (bash packaging/deps.sh)" >&2; exit 2; }; }

runc_masked="/proc/acpi /proc/asound /proc/kcore /proc/keys /proc/latency_stats /proc/timer_list /proc/timer_stats
             /proc/sched_debug /proc/scsi /sys/firmware /sys/devices/virtual/powercap"
runc_readonly="/proc/bus /proc/fs /proc/irq /proc/sys /proc/sysrq-trigger"
# containers/common's pkg/config defaults, which podman gives runc.
podman_masked="/proc/acpi /proc/kcore /proc/keys /proc/latency_stats /proc/timer_list /proc/timer_stats
               /proc/sched_debug /proc/scsi /sys/firmware /sys/fs/selinux /sys/dev/block"
podman_readonly="/proc/asound /proc/bus /proc/fs /proc/irq /proc/sys /proc/sysrq-trigger"
docker_caps=CAP_CHOWN,CAP_DAC_OVERRIDE,CAP_FSETID,CAP_FOWNER,CAP_MKNOD,CAP_NET_RAW,CAP_SETGID,CAP_SETUID,CAP_SETFCAP
docker_caps+=,CAP_SETPCAP,CAP_NET_BIND_SERVICE,CAP_SYS_CHROOT,CAP_KILL,CAP_AUDIT_WRITE
airlock_json=${AIRLOCK_SECCOMP_JSON:-$here/../packaging/container/seccomp-airlock.json}
podman_dir=${PODMAN_CONF_DIR:-/usr/local/share/airlock-tests/podman}

masked=$runc_masked readonly_paths=$runc_readonly userns=() caps=() json="" nnp=()
case $engine in
  runc) ;;
  docker)
    json=${DOCKER_SECCOMP_JSON:-/usr/local/share/airlock-tests/docker-seccomp-default.json}
    caps=("$docker_caps") ;;
  docker-airlock) json=$airlock_json caps=("$docker_caps") ;;
  podman)
    need "$podman_dir/containers.conf"
    json=$podman_dir/seccomp.json
    caps=("$(sed -n '/^default_capabilities *=/,/^]/s/^ *"\([A-Z_]*\)".*/CAP_\1/p' "$podman_dir/containers.conf" | paste -sd,)")
    [[ -n ${caps[0]} ]] || { echo "engines.sh: no default_capabilities in $podman_dir/containers.conf" >&2; exit 2; }
    masked=$podman_masked readonly_paths=$podman_readonly
    userns=(/usr/bin/python3 "$here/engine_userns.py" 100000 65536 --) ;;
  k8s|k8s-userns)
    json=$airlock_json caps=("") nnp=(--no-new-privs)
    [[ $engine == k8s ]] || userns=(/usr/bin/python3 "$here/engine_userns.py" 100000 65536 --) ;;
  *) usage ;;
esac
if [[ -n $json ]]; then
  need "$json"
  bounding=-all
  for cap in ${caps[0]//,/ }; do bounding+=,+$(tr '[:upper:]' '[:lower:]' <<<"${cap#CAP_}"); done
  set -- setpriv "${user[@]}" "${nnp[@]}" --bounding-set "$bounding" --inh-caps -all -- \
    /usr/bin/python3 "$here/engine_seccomp.py" "$json" "${caps[0]}" -- "$@"
elif [[ ${#user[@]} -gt 0 ]]; then
  set -- setpriv "${user[@]}" -- "$@"
fi
# shellcheck disable=SC2016 # expanded by the inner shell
exec "${userns[@]}" unshare --mount --propagation private -- bash -c '
  set -euo pipefail
  for p in $1; do
    if [[ -d $p ]]; then mount -t tmpfs -o ro,nosuid,nodev,noexec,size=0 masked "$p"
    elif [[ -e $p ]]; then mount --bind /dev/null "$p"; fi
  done
  for p in $2; do
    [[ -e $p ]] || continue
    mount --bind "$p" "$p"
    mount -o remount,bind,ro,nosuid,nodev,noexec "$p"
  done
  shift 2
  exec "$@"' engines "$masked" "$readonly_paths" "$@"
