#!/usr/bin/env python3
"""Python -> .NET -> Python: checks a language model trained in .NET and brought back with `weightport convert --format pth`.

  check_roundtrip.py CLEAN.pth MANIFEST.json TOKENS.json LOGITS.f32 [--tolerance 1e-6]

1. torch.load(CLEAN, weights_only=True) must succeed.
2. fastai v2's module structure (get_language_model from tools/make_fixtures.py, which mirrors fastai 2.7) with the
   manifest's configuration must accept it with load_state_dict(strict=True).
3. PyTorch's eval-mode logits for TOKENS (a JSON list of rows of token ids), computed from that loaded model's own
   parameters with fastai's forward semantics (tools/make_reference.py), must equal LOGITS.f32 (float32,
   little-endian, [rows, seq, vocab], written by TorchSharp) as torch.allclose(rtol=tol, atol=tol) has it: the two
   sides run different libtorch builds (1.13 here, 2.10 in TorchSharp), so sums of large logits differ in the last
   bits.
Prints "OK ..." with the largest difference, or "FAIL ..." and exits 1.
"""
import argparse
import json
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_fixtures import V2  # noqa: E402
from make_reference import AwdLstm, lstm_layers  # noqa: E402

ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
ap.add_argument("clean")
ap.add_argument("manifest")
ap.add_argument("tokens")
ap.add_argument("logits")
ap.add_argument("--tolerance", type=float, default=1e-6, help="rtol and atol")
a = ap.parse_args()

cfg = json.load(open(a.manifest))["config"]
if not cfg["has_decoder"] or cfg["head_sizes"]:
    sys.exit("FAIL: the manifest does not describe a language model")
sd = torch.load(a.clean, weights_only=True)
model = V2.get_language_model(cfg["vocab_size"], cfg["emb_size"], cfg["hidden_size"], cfg["layers"],
                              bidir=cfg["bidirectional"], tie=cfg["tied"], out_bias=cfg["decoder_bias"])
model.load_state_dict(sd, strict=True)
model.eval()

loaded = {k: v.float() for k, v in model.state_dict().items()}
tokens = torch.tensor(json.load(open(a.tokens)), dtype=torch.long)
with torch.no_grad():
    encoder = AwdLstm(loaded["0.encoder.weight"], lstm_layers(loaded, "0."), "v2")
    hidden = encoder(tokens)
    logits = torch.nn.functional.linear(hidden, loaded["1.decoder.weight"], loaded.get("1.decoder.bias"))
expected = torch.frombuffer(bytearray(Path(a.logits).read_bytes()), dtype=torch.float32).reshape(logits.shape)
diff = (logits - expected).abs()
worst = (diff / expected.abs().clamp_min(1e-30)).max().item()
close = torch.allclose(logits, expected, rtol=a.tolerance, atol=a.tolerance)
shared = model[1].decoder.weight.data_ptr() == model[0].encoder.weight.data_ptr()
summary = (f"logits {tuple(logits.shape)}, largest |logit| {expected.abs().max().item():.3f}, max abs diff "
           f"{diff.max().item():.3e}, max rel diff {worst:.3e} (rtol = atol = {a.tolerance:g}); decoder tied: {shared}")
if not close or not shared:
    print("FAIL " + summary)
    sys.exit(1)
print(f"OK strict load_state_dict into fastai v2's get_language_model ({len(sd)} keys); " + summary)
