#!/usr/bin/env bash
# tasks.sh — peak number of concurrent tasks (processes AND threads) of a command.
#
# What it measures: CMD runs in a fresh pid namespace
# (`unshare --pid --fork --mount-proc`), so the namespace's /proc lists exactly
# CMD and its descendants (plus this sampler, which is pid 1 there and is not
# counted). Every TASKS_INTERVAL seconds (default 0.02 = 20 ms) the sampler
# counts the entries of /proc/<pid>/task for every pid, i.e. every thread of
# every process: the quantity that a pid-namespace task limit
# ("limits.processes", pids.max) caps. It keeps the maximum until CMD exits.
# Tasks that live less than one interval can be missed, so the peak is a
# lower bound; the sampler globs /proc with no fork, so it adds no task itself.
#
# Run (as root, or prefix with `unshare --user --map-root-user`):
#   integration/bench/tasks.sh make -j"$(nproc)"
#   TASKS_INTERVAL=0.01 integration/bench/tasks.sh npm test
# Prints one line on stderr at the end:
#   tasks: peak_tasks=N peak_processes=M samples=K seconds=S exit=E
# and exits with CMD's exit status.
set -euo pipefail

if [[ $# -eq 0 || $1 == -h || $1 == --help ]]; then
    sed -n '2,/^set /{/^set /d;s/^# \{0,1\}//;p}' "$0"
    exit 2
fi

# The sampler, run as pid 1 of the new namespace; "$@" is CMD.
sampler='
    interval=${TASKS_INTERVAL:-0.02}
    "$@" &
    cmd=$!
    start=$SECONDS peak=0 peak_procs=0 samples=0
    shopt -s nullglob
    while kill -0 "$cmd" 2>/dev/null; do
        tasks=(/proc/[0-9]*/task/[0-9]*)
        procs=(/proc/[0-9]*)
        n=$(( ${#tasks[@]} - 1 )) p=$(( ${#procs[@]} - 1 ))  # minus pid 1 (us)
        (( n > peak )) && peak=$n
        (( p > peak_procs )) && peak_procs=$p
        samples=$((samples + 1))
        sleep "$interval"   # a forked sleep, but it has exited before the next count
    done
    status=0
    wait "$cmd" || status=$?
    echo "tasks: peak_tasks=$peak peak_processes=$peak_procs samples=$samples" \
         "seconds=$((SECONDS - start)) exit=$status" >&2
    exit "$status"
'
exec unshare --pid --fork --mount-proc --kill-child -- bash -c "$sampler" tasks "$@"
