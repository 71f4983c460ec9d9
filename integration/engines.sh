#!/usr/bin/env bash
# engines.sh ENGINE -- CMD...: runs CMD (started as root; it may drop to
# another user itself) where /proc and /sys look as ENGINE leaves them in a
# container by default, on a plain host, without the engine: a mount
# namespace of its own (private: nothing reaches the host's), gone with CMD.
#
#   runc   runc's default masked paths (an empty read-only tmpfs over a
#          directory, /dev/null over a file) and read-only paths, as Docker,
#          podman, containerd and Kubernetes apply them (runc's
#          libcontainer/specconv defaults and moby's oci/defaults.go)
#   docker runc's masks, Docker's default capability set (the bounding set;
#          root keeps only these) and Docker's default seccomp profile, read
#          from its JSON ($DOCKER_SECCOMP_JSON, default: the one Debian's
#          golang-github-docker-docker-dev ships, which packaging/deps.sh
#          unpacks) by engine_seccomp.py, loaded last as runc does
#
# Only the paths this kernel has are masked.
set -euo pipefail
usage() { sed -n '2,/^set /{/^set /d;s/^# \{0,1\}//;p}' "$0" >&2; exit 2; }
[[ $# -ge 3 && $2 == -- ]] || usage
engine=$1
shift 2
docker_caps=CAP_CHOWN,CAP_DAC_OVERRIDE,CAP_FSETID,CAP_FOWNER,CAP_MKNOD,CAP_NET_RAW,CAP_SETGID,CAP_SETUID,CAP_SETFCAP
docker_caps+=,CAP_SETPCAP,CAP_NET_BIND_SERVICE,CAP_SYS_CHROOT,CAP_KILL,CAP_AUDIT_WRITE
here=$(cd "$(dirname "$0")" && pwd)
case $engine in
  runc|docker)
    masked="/proc/acpi /proc/asound /proc/kcore /proc/keys /proc/latency_stats /proc/timer_list /proc/timer_stats
            /proc/sched_debug /proc/scsi /sys/firmware /sys/devices/virtual/powercap"
    readonly_paths="/proc/bus /proc/fs /proc/irq /proc/sys /proc/sysrq-trigger" ;;
  *) usage ;;
esac
if [[ $engine == docker ]]; then
  json=${DOCKER_SECCOMP_JSON:-/usr/local/share/airlock-tests/docker-seccomp-default.json}
  [[ -r $json ]] || { echo "engines.sh: no Docker seccomp profile at $json (bash packaging/deps.sh)" >&2; exit 2; }
  bounding=-all
  for cap in ${docker_caps//,/ }; do bounding+=,+$(tr '[:upper:]' '[:lower:]' <<<"${cap#CAP_}"); done
  set -- setpriv --bounding-set "$bounding" --inh-caps -all -- \
    /usr/bin/python3 "$here/engine_seccomp.py" "$json" "$docker_caps" -- "$@"
fi
# shellcheck disable=SC2016 # expanded by the inner shell
exec unshare --mount --propagation private -- bash -c '
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
