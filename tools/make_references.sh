#!/usr/bin/env bash
# Regenerates fixtures/references/*.ref.pt: real PyTorch outputs (tools/make_reference.py) for one fixture of every
# layout. The tests run the C# model on each reference's tokens and compare.
set -euo pipefail
cd "$(dirname "$0")/.."
py=${PYTHON:-/usr/bin/python3}
mkdir -p fixtures/references
for f in wt103_mini_fwd.pth fastai_v2_lm.zip.pth fastai_v1_lm.legacy.pth fastai_v07_lm.legacy.h5 fastai_v2_encoder.zip.pth \
         fastai_v1_encoder.legacy.pth fastai_v2_classifier.zip.pth fastai_v1_classifier.legacy.pth fastai_v2_lm_bidir.zip.pth \
         fastai_v1_lm_fp16.zip.pth fastai_v1_lm_masked_hh.legacy.pth fastai_v1_lm_flat_views.legacy.pth fastai_v1_classifier_fp16.zip.pth; do
  "$py" tools/make_reference.py "fixtures/$f" -o "fixtures/references/$f.ref.pt" --batch 3 --seq 40 --seed 7
done
