#!/usr/bin/env python3
"""Side-by-side process benchmark: WeightPort CLI vs. the equivalent PyTorch script, in one run.

Each command runs as its own child process; wall time comes from time.perf_counter around the child, peak memory
from the child's own rusage (os.wait4 → ru_maxrss, KiB on Linux), so the two never share a measurement.

  tools/bench_side_by_side.py inspect  FILE.pth [--runs 5] [--weightport PATH]
  tools/bench_side_by_side.py convert  FILE.pth [--runs 5] [--weightport PATH]

inspect:  `weightport inspect FILE --json`            vs  python3 -c 'import torch; torch.load(FILE)'
convert:  `weightport convert FILE -o OUT --force`    vs  tools/torch_convert_baseline.py FILE OUT
          (torch.load, delete the redundant keys, rename, torch.save)
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def run_once(cmd, before=None):
    if before:
        before()
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    err = proc.stderr.read().decode(errors="replace")
    proc.stderr.close()
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        sys.exit(f"command failed with exit code {code}: {' '.join(cmd)}\n{err}")
    return wall, usage.ru_maxrss / 1024.0  # MiB


def measure(sides, runs, before=None):
    """Runs the sides alternately (A B A B ...), so that a machine that drifts (page-cache eviction, neighbours on the
    host) drifts for both alike; also returns the median of the per-round ratios, which that drift cancels out of."""
    for _, cmd in sides:
        run_once(cmd, before)  # warm the page cache and any first-run costs, for both sides alike
    walls = [[] for _ in sides]
    peaks = [[] for _ in sides]
    for _ in range(runs):
        for i, (_, cmd) in enumerate(sides):
            w, m = run_once(cmd, before)
            walls[i].append(w)
            peaks[i].append(m)
    results = [{"name": name, "wall": statistics.median(walls[i]), "wall_min": min(walls[i]), "peak": max(peaks[i])}
               for i, (name, _) in enumerate(sides)]
    paired = statistics.median(a / b for a, b in zip(walls[0], walls[1]))
    return results, paired


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("mode", choices=["inspect", "convert"])
    ap.add_argument("file")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--weightport", default=os.path.join(ROOT, "publish", "linux-x64", "weightport"))
    ap.add_argument("--python", default="/usr/bin/python3")
    ap.add_argument("--fresh", action="store_true",
                    help="convert: delete the previous run's outputs (untimed) before each run, for both sides, so each "
                         "run writes a new file instead of replacing one")
    a = ap.parse_args()
    if not os.path.exists(a.weightport):
        sys.exit(f"{a.weightport} not found; build it first:\n  dotnet publish src/WeightPort.Cli -c Release -r linux-x64 "
                 "--self-contained -p:PublishTrimmed=true -p:PublishSingleFile=true -o publish/linux-x64")
    size = os.path.getsize(a.file)
    tmp = tempfile.mkdtemp(prefix="wp-bench-")
    if a.mode == "inspect":
        ours = [a.weightport, "inspect", a.file, "--json"]
        theirs = [a.python, "-c", f"import torch; torch.load({a.file!r})"]
    else:
        ours = [a.weightport, "convert", a.file, "-o", os.path.join(tmp, "out.dat"), "--force", "--json"]
        theirs = [a.python, os.path.join(HERE, "torch_convert_baseline.py"), a.file, os.path.join(tmp, "out.pth")]
    before = None
    if a.fresh:
        def before():
            for name in os.listdir(tmp):
                os.unlink(os.path.join(tmp, name))
    (r_ours, r_theirs), paired = measure([("weightport", ours), ("pytorch", theirs)], a.runs, before)
    target = ("nothing written" if a.mode == "inspect" else
              "new output each run" if a.fresh else "replacing the previous run's output")
    print(f"{a.mode} {a.file} ({size:,} bytes), {a.runs} alternating runs each after one warm-up, median wall / max peak "
          f"RSS; {target}")
    for r in (r_ours, r_theirs):
        print(f"  {r['name']:<10} wall {r['wall']*1000:9.1f} ms (min {r['wall_min']*1000:.1f})   peak RSS {r['peak']:8.1f} MiB")
    print(f"  ratio      wall {r_ours['wall']/r_theirs['wall']:.3f}x   peak RSS {r_ours['peak']/r_theirs['peak']:.3f}x  (weightport / pytorch)")
    print(f"  paired     wall {paired:.3f}x  (median of the per-round ratios)")


if __name__ == "__main__":
    main()
