#!/usr/bin/env python3
"""Times commands in alternation: round after round, each command once.

hyperfine runs all of one command's runs, then all of the next: on a shared
VM whose speed drifts by more than the few per cent an overhead target is
about, that compares two different machines. Alternating puts both commands
on the same drift. Writes hyperfine's JSON shape (results[].command, median,
mean, min, times) so that run.sh reads it the same way, and prints the
paired ratios (each round's second command over its first).

With --check CMD, CMD runs after each timed command, untimed, with the
command's name in $ALTERNATE_NAME: a non-zero status stops the run (each
round's result can be verified, e.g. that a build built the same files).

With --hyperfine RUNS each round times each command with `hyperfine -N`
(RUNS runs after 2 warm-ups) instead of once through a shell: for commands
of a few milliseconds, where a shell's own start-up would be a large part of
what is measured. Every run's time goes into the medians, and each result
gets hyperfine's user and system CPU per run (the mean over the rounds).

usage: alternate.py --rounds N [--prepare CMD] [--check CMD] [--hyperfine RUNS] [--over-others] --json FILE NAME CMD [NAME CMD ...]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time


def timed(command: str) -> float:
    start = time.perf_counter()
    done = subprocess.run(command, shell=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"alternate.py: `{command}` failed with status {done.returncode}")
    return elapsed


def timed_by_hyperfine(command: str, runs: int) -> tuple:
    """The runs' wall times, and hyperfine's mean user and system CPU per run
    (getrusage of the waited-for children: the whole process tree)."""
    with tempfile.NamedTemporaryFile(suffix=".json") as export:
        done = subprocess.run(["hyperfine", "-N", "-w", "2", "-r", str(runs), "--export-json", export.name, command],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if done.returncode != 0:
            sys.exit(f"alternate.py: hyperfine failed on `{command}` (status {done.returncode})")
        result = json.load(open(export.name))["results"][0]
        return result["times"], result["user"], result["system"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, required=True)
    parser.add_argument("--prepare", default="")
    parser.add_argument("--check", default="")
    parser.add_argument("--hyperfine", type=int, default=0, metavar="RUNS")
    parser.add_argument("--over-others", action="store_true",
                        help="print the first command over each other one (default: each other over the first)")
    parser.add_argument("--json", required=True)
    parser.add_argument("pairs", nargs="+", help="NAME CMD [NAME CMD ...]")
    args = parser.parse_args()
    if len(args.pairs) % 2 or args.rounds < 1:
        parser.error("give NAME CMD pairs and at least one round")
    names, commands = args.pairs[0::2], args.pairs[1::2]
    times = {name: [] for name in names}
    per_round = {name: [] for name in names}  # each round's median
    cpu = {name: {"user": [], "system": []} for name in names}  # each round's mean per run (--hyperfine)
    for _ in range(args.rounds):
        for name, command in zip(names, commands):
            if args.prepare:
                subprocess.run(args.prepare, shell=True, check=True)
            if args.hyperfine:
                got, user, system = timed_by_hyperfine(command, args.hyperfine)
                cpu[name]["user"].append(user)
                cpu[name]["system"].append(system)
            else:
                got = [timed(command)]
            if args.check:
                checked = subprocess.run(args.check, shell=True, env={**os.environ, "ALTERNATE_NAME": name})
                if checked.returncode != 0:
                    sys.exit(f"alternate.py: the check after `{command}` failed with status {checked.returncode}")
            times[name].extend(got)
            per_round[name].append(statistics.median(got))
    results = [{"command": name, "median": statistics.median(t), "mean": statistics.mean(t), "min": min(t), "times": t}
               for name, t in times.items()]
    for result in results:
        for kind in ("user", "system"):
            if cpu[result["command"]][kind]:  # every round ran the same number of runs: the mean of the means
                result[kind] = statistics.mean(cpu[result["command"]][kind])
    with open(args.json, "w") as out:
        json.dump({"results": results}, out, indent=1)
    first = per_round[names[0]]
    for name in names[1:]:
        if args.over_others:
            label, ratios = f"{names[0]} / {name}", sorted(a / b for a, b in zip(first, per_round[name]))
        else:
            label, ratios = f"{name} / {names[0]}", sorted(b / a for a, b in zip(first, per_round[name]))
        print(f"   {label}, per round: median {statistics.median(ratios):.3f}, range {ratios[0]:.3f}-{ratios[-1]:.3f}")


if __name__ == "__main__":
    main()
