#!/usr/bin/env python3
"""A/B benchmark of two WeightPort CLI builds on the same command, alternating, in one run.

  tools/bench_ab.py convert FILE.pth --a BASE_BINARY --b VARIANT_BINARY [--runs 21] [--fresh]
  tools/bench_ab.py inspect FILE.pth --a BASE_BINARY --b VARIANT_BINARY [--runs 21]

Each run is its own child process; the builds alternate (A B A B ...) after one warm-up each, so that a drifting
machine drifts for both. Prints the median wall time of each build, the median of the per-round ratios B/A (what
decides whether a start-up choice is worth keeping) and the spread of those ratios (the 25th and 75th percentiles).
convert writes to a scratch folder, replacing the previous output unless --fresh deletes it first (untimed).
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time


def run(cmd):
    start = time.perf_counter()
    proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"exit {proc.returncode}: {' '.join(cmd)}\n{proc.stderr.decode(errors='replace')}")
    return wall


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("mode", choices=["convert", "inspect"])
    ap.add_argument("file")
    ap.add_argument("--a", required=True, help="the baseline weightport binary")
    ap.add_argument("--b", required=True, help="the variant weightport binary")
    ap.add_argument("--runs", type=int, default=21)
    ap.add_argument("--fresh", action="store_true", help="convert: delete the previous outputs before each run")
    args = ap.parse_args()

    scratch = tempfile.mkdtemp(prefix="weightport-ab-")
    try:
        def command(binary, side):
            if args.mode == "inspect":
                return [binary, "inspect", args.file, "--json"]
            return [binary, "convert", args.file, "-o", os.path.join(scratch, side, "out.dat"), "--force"]

        def before(side):
            if args.mode == "convert" and args.fresh:
                shutil.rmtree(os.path.join(scratch, side), ignore_errors=True)

        sides = [("A", args.a), ("B", args.b)]
        for name, binary in sides:
            before(name)
            run(command(binary, name))
        walls = {"A": [], "B": []}
        for _ in range(args.runs):
            for name, binary in sides:
                before(name)
                walls[name].append(run(command(binary, name)))
        ratios = sorted(b / a for a, b in zip(walls["A"], walls["B"]))
        q = statistics.quantiles(ratios, n=4)
        print(f"{args.mode} {os.path.basename(args.file)}, {args.runs} alternating rounds")
        print(f"  A {args.a}: median {statistics.median(walls['A']) * 1000:.1f} ms")
        print(f"  B {args.b}: median {statistics.median(walls['B']) * 1000:.1f} ms")
        print(f"  B/A paired median {statistics.median(ratios):.3f} (25th–75th percentile {q[0]:.3f}–{q[2]:.3f})")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
