#!/usr/bin/env bash
# Side-by-side CPU benchmark of the AWD-LSTM forward pass at the WT103 shape (vocab 60000, emb 400, n_hid 1152,
# 3 layers, fp32, random weights): WeightPort (bench/WeightPort.Bench side-by-side: AwdLstm.Forward allocating its
# outputs on every call and dropping them, as PyTorch's model(x) does; WP_ARGS="--mode dispose|reuse" for the
# buffer-reusing variants) vs PyTorch
# (bench/pytorch_bench.py, torch.set_num_threads(2)), alternating the two ROUNDS times so both see the same
# machine conditions. Prints tokens/s at 64x70 and 16x70 and the single-token latency (batch 1, stateful), the
# best round of each side, and the ratios.
#
#   tools/bench_cpu.sh [ROUNDS=2] [BLAS=auto|openblas|managed] [REPEATS=3] [STEPS=200]
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-2}; BLAS=${2:-auto}; REPEATS=${3:-3}; STEPS=${4:-200}
PYTHON=${PYTHON:-/usr/bin/python3}
dotnet build -c Release bench/WeightPort.Bench -v q -nologo >/dev/null
DLL=bench/WeightPort.Bench/bin/Release/net10.0/WeightPort.Bench.dll
LOG=$(mktemp)
for ((r = 1; r <= ROUNDS; r++)); do
  dotnet "$DLL" side-by-side "$BLAS" "$REPEATS" "$STEPS" ${WP_ARGS:-} | tee -a "$LOG"
  "$PYTHON" bench/pytorch_bench.py --threads 2 --repeats "$REPEATS" --steps "$STEPS" | tee -a "$LOG"
done
"$PYTHON" - "$LOG" <<'PY'
import re, sys
best = {}
for line in open(sys.argv[1]):
    m = re.match(r"(weightport|pytorch) (batch=\d+ seq=\d+|single_token) (.*)", line)
    if not m:
        continue
    side, case, rest = m.groups()
    vals = dict(kv.split("=") for kv in rest.split())
    if case == "single_token":
        v = float(vals["median_ms"]); key = (side, case)
        best[key] = min(best.get(key, v), v)
    else:
        v = float(vals["tok_per_s"]); key = (side, case)
        best[key] = max(best.get(key, v), v)
print("\nbest round of each side (median within a round):")
for case in ("batch=64 seq=70", "batch=16 seq=70"):
    w, p = best[("weightport", case)], best[("pytorch", case)]
    print(f"  {case:<16} weightport {w:8.1f} tok/s   pytorch {p:8.1f} tok/s   speed-up {w / p:5.2f}x")
w, p = best[("weightport", "single_token")], best[("pytorch", "single_token")]
print(f"  {'single token':<16} weightport {w:8.2f} ms      pytorch {p:8.2f} ms      latency ratio {w / p:5.2f}x")
PY
rm -f "$LOG"
