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
#
# Only the paths this kernel has are masked.
set -euo pipefail
usage() { sed -n '2,/^set /{/^set /d;s/^# \{0,1\}//;p}' "$0" >&2; exit 2; }
[[ $# -ge 3 && $2 == -- ]] || usage
engine=$1
shift 2
case $engine in
  runc)
    masked="/proc/acpi /proc/asound /proc/kcore /proc/keys /proc/latency_stats /proc/timer_list /proc/timer_stats
            /proc/sched_debug /proc/scsi /sys/firmware /sys/devices/virtual/powercap"
    readonly_paths="/proc/bus /proc/fs /proc/irq /proc/sys /proc/sysrq-trigger" ;;
  *) usage ;;
esac
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
