#!/usr/bin/env bash
# The side-by-side CPU benchmark of the AWD-LSTM forward pass at the WT103 shape (vocab 60000, emb 400, n_hid 1152,
# 3 layers, tied decoder), same weights for every engine:
#   weightport        WeightPort, default settings (float16 weights when every weight is exact in float16)
#   weightport-fp32   WeightPort with CpuWeightPrecision.Float32
#   onnxruntime       ONNX Runtime 1.32 on tools/export_onnx.py's export (2 intra-op threads, all optimizations)
#   torchsharp        libtorch 2.10 through TorchSharp 0.107 (2 threads, eval, no_grad)
#   pytorch           Debian's PyTorch 1.13 + OpenBLAS (2 threads)
# What it does: builds bench/WeightPort.Peers; writes the model files under fixtures/large and artifacts (once);
# measures the machine's FMA peak and read bandwidth; checks every engine's logits against PyTorch's reference; then
# ROUNDS rounds, each running every case on every engine, one process per engine and case, the engines alternating
# (the first engine rotates each round); the machine is measured again between rounds and at the end (the fractions
# use the best of these). Prints the tables (median over the rounds, and the best round) with every engine's ratio to
# WeightPort and the fractions of the machine's limits; the raw lines go to artifacts/bench_peers/.
#
#   tools/bench_peers.sh [ROUNDS=3]
#   ENGINES="weightport onnxruntime" CASES="1x1" tools/bench_peers.sh 1     # a subset
#   BASELINE=/path/to/other/checkout/bench/WeightPort.Peers/bin/Release/net10.0/linux-x64/WeightPort.Peers.dll \
#     ENGINES="weightport-baseline weightport ..." tools/bench_peers.sh           # another build of WeightPort as
#                                                                                  # the engine "weightport-baseline"
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-3}
ENGINES=${ENGINES:-"weightport weightport-fp32 onnxruntime torchsharp pytorch"}
CASES=${CASES:-"64x70 16x70 1x1"}
PYTHON=${PYTHON:-/usr/bin/python3}
PTH=fixtures/large/wt103_fwd.pth
mkdir -p artifacts/bench_peers
LOG=artifacts/bench_peers/$(date -u +%Y%m%dT%H%M%SZ).log

dotnet build -c Release bench/WeightPort.Peers -v q -nologo >/dev/null
dotnet build -c Release src/WeightPort.Cli -v q -nologo >/dev/null
PEERS="dotnet bench/WeightPort.Peers/bin/Release/net10.0/linux-x64/WeightPort.Peers.dll"
[ -f "$PTH" ] || "$PYTHON" tools/make_fixtures.py --size wt103
[ -f artifacts/wt103_fwd.ref.pt ] || "$PYTHON" tools/make_reference.py "$PTH" -o artifacts/wt103_fwd.ref.pt --batch 2 --seq 8
[ -f artifacts/wt103_fwd.onnx ] || "$PYTHON" tools/export_onnx.py "$PTH" -o artifacts/wt103_fwd.onnx --reference artifacts/wt103_fwd.ref.pt
[ -f artifacts/wt103_fwd.dat ] || dotnet src/WeightPort.Cli/bin/Release/net10.0/weightport.dll convert "$PTH" -o artifacts/wt103_fwd.dat --force >/dev/null

peer() { # ENGINE ARGS...
  local engine=$1; shift
  if [ "$engine" = pytorch ]; then "$PYTHON" bench/peers_pytorch.py "$@" --pth "$PTH"
  elif [ "$engine" = weightport-baseline ]; then dotnet "$BASELINE" "${@:1:1}" "$engine" "${@:2}" --pth "$PTH"
  else $PEERS "${@:1:1}" "$engine" "${@:2}" --pth "$PTH"; fi
}

{ echo "uptime_before $(uptime)"; echo "# $(lscpu | grep 'Model name' | tr -s ' ')"; } | tee -a "$LOG"
$PEERS machine | tee -a "$LOG"
for e in $ENGINES; do peer "$e" check | tee -a "$LOG"; done
read -r -a engines <<<"$ENGINES"
for ((r = 0; r < ROUNDS; r++)); do
  ((r == 0)) || $PEERS machine | tee -a "$LOG"
  for c in $CASES; do
    for ((i = 0; i < ${#engines[@]}; i++)); do
      e=${engines[$(((i + r) % ${#engines[@]}))]}
      peer "$e" run "$c" | sed "s/^result /result round=$r /" | tee -a "$LOG"
    done
  done
done
$PEERS machine | tee -a "$LOG"
echo "uptime_after $(uptime)" | tee -a "$LOG"
"$PYTHON" tools/bench_peers_table.py "$LOG"
echo "raw lines: $LOG"
