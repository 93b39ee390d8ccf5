#!/usr/bin/env python3
"""The obvious PyTorch conversion script, as a baseline for `weightport convert`:
torch.load, delete the redundant keys, rename to the C# AWD_LSTM names, torch.save."""
import sys

import torch

src, dst = sys.argv[1], sys.argv[2]
sd = torch.load(src)
if isinstance(sd, dict) and "model" in sd:
    sd = sd["model"]
out = {}
for k, v in sd.items():
    if k in ("0.encoder_dp.emb.weight", "1.decoder.weight") or (".module.weight_hh_l0" in k and not k.endswith("_raw")):
        continue
    k = k[2:] if k[:2] in ("0.", "1.") else k
    k = k.replace("_raw", "").replace(".module.", ".")
    out[k] = v
torch.save(out, dst)
