#!/usr/bin/env python3
"""Times commands in alternation: round after round, each command once.

hyperfine runs all of one command's runs, then all of the next: on a shared
VM whose speed drifts by more than the few per cent an overhead target is
about, that compares two different machines. Alternating puts both commands
on the same drift. Writes hyperfine's JSON shape (results[].command, median,
mean, min, times) so that run.sh reads it the same way, and prints the
paired ratios (each round's second command over its first).

usage: alternate.py --rounds N [--prepare CMD] --json FILE NAME CMD [NAME CMD ...]
"""
import argparse
import json
import statistics
import subprocess
import sys
import time


def timed(command: str) -> float:
    start = time.perf_counter()
    done = subprocess.run(command, shell=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"alternate.py: `{command}` failed with status {done.returncode}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, required=True)
    parser.add_argument("--prepare", default="")
    parser.add_argument("--json", required=True)
    parser.add_argument("pairs", nargs="+", help="NAME CMD [NAME CMD ...]")
    args = parser.parse_args()
    if len(args.pairs) % 2 or args.rounds < 1:
        parser.error("give NAME CMD pairs and at least one round")
    names, commands = args.pairs[0::2], args.pairs[1::2]
    times = {name: [] for name in names}
    for _ in range(args.rounds):
        for name, command in zip(names, commands):
            if args.prepare:
                subprocess.run(args.prepare, shell=True, check=True)
            times[name].append(timed(command))
    results = [{"command": name, "median": statistics.median(t), "mean": statistics.mean(t), "min": min(t), "times": t}
               for name, t in times.items()]
    with open(args.json, "w") as out:
        json.dump({"results": results}, out, indent=1)
    base = times[names[0]]
    for name in names[1:]:
        ratios = sorted(b / a for a, b in zip(base, times[name]))
        print(f"   {name} / {names[0]}, per round: median {statistics.median(ratios):.3f}, "
              f"range {ratios[0]:.3f}-{ratios[-1]:.3f}")


if __name__ == "__main__":
    main()
