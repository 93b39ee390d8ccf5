#!/usr/bin/env python3
"""Load benchmark: WeightPort.TorchSharp's FromPretrained against PyTorch's torch.load + load_state_dict.

    /usr/bin/python3 tools/bench_torchsharp_load.py CHECKPOINT [--runs 5]

CHECKPOINT is the WT103-sized legacy file (`/usr/bin/python3 tools/make_fixtures.py --size wt103` writes
fixtures/large/wt103_fwd.pth, 177 MB; fixtures/large/ is git-ignored). Each run is a fresh process per side, the
sides alternating; build bench/WeightPort.TorchSharp.Bench in Release first. Both sides first load their native
libraries and run one tensor op, then measure:

  PyTorch:   build fastai v1's get_language_model (the structure lstm_fwd.pth was saved from, tools/make_fixtures.py),
             torch.load(CHECKPOINT, map_location='cpu'), model.load_state_dict(sd, strict=True)
  .NET:      AwdLstmLanguageModel.FromPretrained(CHECKPOINT) (the module built uninitialised, WeightPort's validation,
             tensors filled from the memory-mapped file)

Wall time of that step, and the process's peak resident memory (VmHWM) minus its resident memory just before it.
Prints every run, the medians and the ratios .NET / PyTorch. Never run two benchmarks at once on a shared machine.
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOTNET_SIDE = ROOT / "bench/WeightPort.TorchSharp.Bench/bin/Release/net10.0/WeightPort.TorchSharp.Bench.dll"

PYTORCH_SIDE = r'''
import json, sys, time
sys.path.insert(0, sys.argv[2])
import torch
from make_fixtures import V1
def status(field):
    for line in open("/proc/self/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1])
torch.ones(1).sum()
base = status("VmRSS")
t0 = time.perf_counter()
sd = None
model = V1.get_language_model(60000, 400, 1152, 3, weight_p=0.2)
sd = torch.load(sys.argv[1], map_location="cpu")
model.load_state_dict(sd, strict=True)
seconds = time.perf_counter() - t0
peak = status("VmHWM")
print(json.dumps({"side": "PyTorch torch.load + load_state_dict", "seconds": round(seconds, 4), "baseline_mib": round(base / 1024, 1),
                  "peak_mib": round(peak / 1024, 1), "added_peak_mib": round((peak - base) / 1024, 1),
                  "parameters": sum(p.numel() for p in model.parameters())}))
'''


def run(cmd):
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1]
    return json.loads(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("checkpoint")
    ap.add_argument("--runs", type=int, default=5)
    a = ap.parse_args()
    if not DOTNET_SIDE.exists():
        sys.exit(f"{DOTNET_SIDE} is missing: dotnet build bench/WeightPort.TorchSharp.Bench -c Release")
    size = os.path.getsize(a.checkpoint)
    print(f"{a.checkpoint}: {size / 1e6:.1f} MB; {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"Linux {platform.release()}; torch {subprocess.run(['/usr/bin/python3', '-c', 'import torch; print(torch.__version__)'], capture_output=True, text=True).stdout.strip()}")
    results = {"dotnet": [], "torch": []}
    for i in range(a.runs):
        for side in (("dotnet", "torch") if i % 2 == 0 else ("torch", "dotnet")):
            if side == "dotnet":
                r = run(["dotnet", str(DOTNET_SIDE), a.checkpoint])
            else:
                r = run(["/usr/bin/python3", "-c", PYTORCH_SIDE, a.checkpoint, str(ROOT / "tools")])
            results[side].append(r)
            print(f"run {i + 1} {r['side']:40s} {r['seconds']:7.3f} s  +{r['added_peak_mib']:7.1f} MiB peak "
                  f"(baseline {r['baseline_mib']:.0f} MiB, {r['parameters']:,} parameters)")
    med = {s: (statistics.median(x["seconds"] for x in v), statistics.median(x["added_peak_mib"] for x in v)) for s, v in results.items()}
    print(f"median PyTorch: {med['torch'][0]:.3f} s, +{med['torch'][1]:.1f} MiB peak")
    print(f"median .NET:    {med['dotnet'][0]:.3f} s, +{med['dotnet'][1]:.1f} MiB peak")
    print(f"ratio .NET / PyTorch: time {med['dotnet'][0] / med['torch'][0]:.2f}x, added peak memory {med['dotnet'][1] / med['torch'][1]:.2f}x")


if __name__ == "__main__":
    main()
