#!/usr/bin/env bash
# WeightPort CUDA workflow for a machine with an NVIDIA GPU and python3 + CUDA PyTorch, but no .NET.
#
# Prerequisite, on the dev machine (with the .NET SDK), then copy the repository including publish/ over:
#   dotnet publish src/WeightPort.Cli -c Release -r linux-x64 --self-contained \
#       -p:PublishTrimmed=true -p:PublishSingleFile=true -o publish/linux-x64
#
# Steps (each prints what it runs; outputs go to $OUT_DIR, default artifacts/gpu):
#   0. environment: nvidia-smi, torch/CUDA/cuDNN versions, where WeightPort finds libcuda/cuBLAS/NVRTC
#   1. the WT103-sized checkpoint (tools/make_fixtures.py --size wt103 → fixtures/large/wt103_fwd.pth), real PyTorch
#   2. PyTorch reference outputs for it (tools/make_reference.py)
#   3. weightport convert
#   4. weightport verify --device cuda (and --device cpu) against the reference, --json
#   5. benchmark: PyTorch cuDNN LSTM (tools/bench_cuda_torch.py) vs WeightPort CUDA, tokens/s at 64x70 and
#      single-token latency
#
# Environment overrides: WEIGHTPORT_BIN, PYTHON, OUT_DIR, CHECKPOINT, REFERENCE, MAKE_REFERENCE_ARGS (extra
# arguments for make_reference.py), SKIP_CPU=1 (skip the CPU verify), TF32=1 (benchmark both sides with TF32).
# Assumptions about CLI verbs that other parts of WeightPort provide are listed in docs/cuda.md ("Workflow").
set -euo pipefail
cd "$(dirname "$0")/.."

WP="${WEIGHTPORT_BIN:-publish/linux-x64/weightport}"
PY="${PYTHON:-python3}"
OUT="${OUT_DIR:-artifacts/gpu}"
CKPT="${CHECKPOINT:-fixtures/large/wt103_fwd.pth}"
REF="${REFERENCE:-$OUT/wt103_fwd.reference}"
mkdir -p "$OUT"

say() { printf '\n== %s\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

if [ ! -x "$WP" ]; then
  cat >&2 <<MSG
$WP not found. This machine needs no .NET, but the CLI must be published beforehand on a machine that has it:
  dotnet publish src/WeightPort.Cli -c Release -r linux-x64 --self-contained -p:PublishTrimmed=true -p:PublishSingleFile=true -o publish/linux-x64
then copy publish/linux-x64/weightport here (or set WEIGHTPORT_BIN).
MSG
  exit 2
fi

say "0. environment"
if command -v nvidia-smi >/dev/null; then nvidia-smi --query-gpu=name,driver_version,memory.total,compute_cap --format=csv || nvidia-smi; else echo "nvidia-smi not found"; fi
"$PY" - <<'PY'
import torch
print(f"torch {torch.__version__}, CUDA {torch.version.cuda}, cuDNN {torch.backends.cudnn.version()}, "
      f"cuda available: {torch.cuda.is_available()}")
if not torch.cuda.is_available():
    raise SystemExit("CUDA PyTorch is required for the reference and the benchmark")
print("device:", torch.cuda.get_device_name(0))
PY
# WeightPort searches the pip nvidia wheels itself; these are the folders it would find (for the log).
"$PY" - <<'PY'
import glob, site, os
dirs = set(site.getsitepackages() + [site.getusersitepackages()])
for d in sorted(dirs):
    for sub in ("nvidia/cu13/lib", "nvidia/cublas/lib", "nvidia/cuda_nvrtc/lib", "torch/lib"):
        p = os.path.join(d, sub)
        libs = sorted(os.path.basename(x) for x in glob.glob(p + "/lib*.so*") if any(k in x for k in ("cublas", "nvrtc")))
        if libs:
            print(f"{p}: {', '.join(libs)}")
PY

say "1. WT103-sized checkpoint"
if [ -f "$CKPT" ]; then
  echo "using existing $CKPT"
else
  run "$PY" tools/make_fixtures.py --size wt103
  [ -f "$CKPT" ] || { echo "expected $CKPT after make_fixtures.py --size wt103; set CHECKPOINT" >&2; exit 1; }
fi
ls -l "$CKPT"

say "2. PyTorch reference outputs"
if [ -e "$REF" ]; then
  echo "using existing $REF"
else
  [ -f tools/make_reference.py ] || { echo "tools/make_reference.py is missing (provided by another part of WeightPort)" >&2; exit 1; }
  # shellcheck disable=SC2086
  run "$PY" tools/make_reference.py "$CKPT" --out "$REF" --device cuda ${MAKE_REFERENCE_ARGS:-}
fi

say "3. convert"
run "$WP" convert "$CKPT" -o "$OUT/wt103_fwd.dat" --force --json | tee "$OUT/convert.json"

say "4. verify on CUDA (and CPU)"
set +e
"$WP" verify "$CKPT" --device cuda --reference "$REF" --json > "$OUT/verify_cuda.json"
cuda_rc=$?
set -e
cat "$OUT/verify_cuda.json"
echo "verify --device cuda exit code: $cuda_rc"
if [ "${SKIP_CPU:-0}" != 1 ]; then
  set +e
  "$WP" verify "$CKPT" --device cpu --reference "$REF" --json > "$OUT/verify_cpu.json"
  echo "verify --device cpu exit code: $?"
  set -e
fi

say "5. benchmark"
tf32_flag=""
[ "${TF32:-0}" = 1 ] && tf32_flag="--tf32"
run "$PY" tools/bench_cuda_torch.py --checkpoint "$CKPT" --json "$OUT/bench_torch.json" $tf32_flag
if "$WP" bench --help >/dev/null 2>&1; then
  run "$WP" bench "$CKPT" --device cuda --batch 64 --seq 70 --json > "$OUT/bench_weightport.json"
  ours="$OUT/bench_weightport.json"
else
  echo "(no 'weightport bench' verb: taking WeightPort's timings from verify --json)"
  ours="$OUT/verify_cuda.json"
fi
"$PY" - "$OUT/bench_torch.json" "$ours" <<'PY'
import json, sys
torch_r = json.load(open(sys.argv[1]))
try:
    ours = json.load(open(sys.argv[2]))
except (OSError, ValueError) as e:
    raise SystemExit(f"cannot read WeightPort's JSON {sys.argv[2]}: {e}")

def find(d, *names):
    """First value under any of the names, searched depth-first (the CLI's JSON shape is not fixed here)."""
    if isinstance(d, dict):
        for n in names:
            if n in d and isinstance(d[n], (int, float)):
                return d[n]
        for v in d.values():
            r = find(v, *names)
            if r is not None:
                return r
    elif isinstance(d, list):
        for v in d:
            r = find(v, *names)
            if r is not None:
                return r
    return None

tps = find(ours, "compute_tokens_per_s", "computeTokensPerSecond", "tokens_per_s", "tokensPerSecond", "tokens_per_second")
lat = find(ours, "single_token_ms", "singleTokenMs", "latency_ms", "latencyMs")
print(f"PyTorch  {torch_r['device']}: encode+decode {torch_r['encode_decode']['tokens_per_s']:,.0f} tokens/s, "
      f"single token {torch_r['single_token']['median_ms']:.3f} ms")
print("WeightPort:", f"{tps:,.0f} tokens/s" if tps else "tokens/s not in its JSON",
      f", single token {lat:.3f} ms" if lat else ", single-token latency not in its JSON")
if tps:
    print(f"ratio tokens/s WeightPort / PyTorch: {tps / torch_r['encode_decode']['tokens_per_s']:.3f}")
PY

say "done: outputs in $OUT"
exit "$cuda_rc"
