#!/usr/bin/env python3
"""Checks a cleaned .pth written by `weightport convert --format pth` with real PyTorch.

  check_clean_pth.py CLEAN.pth ORIGINAL.pth MANIFEST.json

1. torch.load(CLEAN, weights_only=True) must succeed.
2. A fastai-v2 model (the module tree from tools/make_fixtures.py, which mirrors fastai 2.7) with the configuration
   recorded in the manifest must accept it with load_state_dict(strict=True).
3. Every parameter and buffer must equal the original checkpoint's tensor (torch.load of ORIGINAL), found through the
   manifest's own source names, after the recorded dtype cast.
4. The embedding aliases (encoder_dp.emb.weight and a tied decoder) must share the embedding's storage.
Prints one line per failure and exits 1, or prints "OK" and the key count.
"""
import json
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_fixtures import V2, install_fastcore_stub  # noqa: E402

clean_path, original_path, manifest_path = sys.argv[1:4]
manifest = json.load(open(manifest_path))
cfg = manifest["config"]
sd = torch.load(clean_path, weights_only=True)

if cfg["head_sizes"]:
    heads = cfg["head_sizes"]
    model = V2.get_text_classifier(cfg["vocab_size"], cfg["emb_size"], cfg["hidden_size"], cfg["layers"], heads[-1],
                                   lin_ftrs=heads[1:-1], ps=[0.1] * (len(heads) - 2))
    prefix = "0.module."
elif cfg["has_decoder"]:
    model = V2.get_language_model(cfg["vocab_size"], cfg["emb_size"], cfg["hidden_size"], cfg["layers"],
                                  bidir=cfg["bidirectional"], tie=cfg["tied"], out_bias=cfg["decoder_bias"])
    prefix = "0."
else:
    model = V2.AWD_LSTM(cfg["vocab_size"], cfg["emb_size"], cfg["hidden_size"], cfg["layers"], bidir=cfg["bidirectional"])
    prefix = ""
dtype = getattr(torch, cfg["dtype"])
model = model.to(dtype) if dtype != torch.float32 else model
model.load_state_dict(sd, strict=True)

install_fastcore_stub()
orig = torch.load(original_path, map_location="cpu")


def source_tensor(path):
    # Manifest sources are WeightPort's dotted checkpoint paths: "model.0.encoder.weight" inside {'model': …, 'opt': …}.
    if path not in orig and path.startswith("model.") and isinstance(orig.get("model"), dict):
        return orig["model"][path[len("model."):]]
    return orig[path]


# canonical target -> original source key, from the manifest; and canonical -> fastai-v2 key, by role position.
source_of = {m["target"]: m["source"] for m in manifest["mappings"]}
failures = []
msd = model.state_dict()
for key, value in msd.items():
    # The clean file's tensor for this key is the model's value; find its source through the canonical name.
    canonical = (key[len(prefix):] if key.startswith(prefix) else key)
    canonical = canonical.replace(".module.", ".").replace("_raw", "")
    if canonical.startswith("1.decoder."):
        canonical = canonical[2:]
    if canonical.startswith("1.layers."):
        parts = canonical.split(".")  # 1.layers.{block}.{idx}.{param}
        block, idx, param = parts[2], parts[3], parts[4]
        canonical = f"head.{block}.{'bn' if idx == '0' else 'linear'}.{param}"
    if canonical == "encoder_dp.emb.weight" or (canonical == "decoder.weight" and "decoder.weight" not in source_of):
        canonical = "encoder.weight"
    src = source_of.get(canonical)
    if src is None:
        failures.append(f"{key}: no mapping for canonical name {canonical}")
        continue
    expected = source_tensor(src).to(value.dtype)
    if not torch.equal(value, expected):
        failures.append(f"{key}: differs from original {src} (max abs diff {(value.float() - expected.float()).abs().max().item()})")

emb = sd[prefix + "encoder.weight"]
for alias in [prefix + "encoder_dp.emb.weight"] + (["1.decoder.weight"] if cfg["has_decoder"] and cfg["tied"] else []):
    if sd[alias].data_ptr() != emb.data_ptr():
        failures.append(f"{alias} does not share the embedding's storage")

for f in failures:
    print("FAIL", f)
if failures:
    sys.exit(1)
print(f"OK {len(msd)} keys, strict load_state_dict into a fastai-v2 model")
