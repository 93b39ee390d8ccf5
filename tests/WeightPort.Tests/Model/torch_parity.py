#!/usr/bin/env python3
"""Writes a small random fastai-layout AWD-LSTM and real-PyTorch outputs as raw little-endian float32 for
AwdLstmTorchParityTests: OUTDIR/manifest.json (shapes, tensor offsets) and OUTDIR/weights.bin.

    torch_parity.py OUTDIR KIND SEED      KIND: lm | bidir | clas_v2 | clas_v1

The network is evaluated by tools/make_reference.py's own classes (torch.nn.Embedding / LSTM / Linear /
BatchNorm1d with fastai's eval semantics), so the test also pins that script's semantics to the C# port.
LM cases make two stateful calls with a batch-size change between them (fastai v2 _change_one_hidden)."""
import json
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "tools"))
import make_reference as mr  # noqa: E402

out_dir, kind, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])
torch.manual_seed(seed)
V, E, H, L = 97, 16, 24, 3
bidir = kind == "bidir"
nd = 2 if bidir else 1
sd = {}
prefix = "0.module." if kind.startswith("clas") else "0."
emb = torch.randn(V, E)
sd[prefix + "encoder.weight"] = emb
for l in range(L):
    i, h = (E if l == 0 else H), (H if l != L - 1 else E) // nd
    for suffix in [""] + (["_reverse"] if bidir else []):
        wh = torch.randn(4 * h, h) * 0.4
        if suffix:
            sd[f"{prefix}rnns.{l}.module.weight_hh_l0_reverse"] = wh
        else:
            sd[f"{prefix}rnns.{l}.weight_hh_l0_raw"] = wh
        sd[f"{prefix}rnns.{l}.module.weight_ih_l0{suffix}"] = torch.randn(4 * h, i) * 0.4
        sd[f"{prefix}rnns.{l}.module.bias_ih_l0{suffix}"] = torch.randn(4 * h) * 0.3
        sd[f"{prefix}rnns.{l}.module.bias_hh_l0{suffix}"] = torch.randn(4 * h) * 0.3
head = []
if kind.startswith("clas"):
    dims = [3 * E, 11, 5]
    for k, (i, o) in enumerate(zip(dims[:-1], dims[1:])):
        bn = {"weight": torch.rand(i) + 0.5, "bias": torch.randn(i) * 0.2,
              "running_mean": torch.randn(i) * 0.2, "running_var": torch.rand(i) + 0.5}
        base = f"1.layers.{k}.0." if kind == "clas_v2" else f"1.layers.{4 * k}."
        for n, t in bn.items():
            sd[base + n] = t
        lin = f"1.layers.{k}.2." if kind == "clas_v2" else f"1.layers.{4 * k + 2}."
        sd[lin + "weight"] = torch.randn(o, i) * 0.3
        if kind == "clas_v1":
            sd[lin + "bias"] = torch.randn(o) * 0.1
else:
    sd["1.decoder.weight"] = emb
    sd["1.decoder.bias"] = torch.randn(V)

manifest = {"V": V, "E": E, "H": H, "L": L, "bidir": bidir, "kind": kind, "tensors": [], "head": [], "calls": []}
blob = bytearray()


def add(name, t):
    a = t.detach().float().contiguous().numpy().astype("<f4")
    manifest["tensors"].append({"name": name, "offset": len(blob) // 4, "count": int(a.size)})
    blob.extend(a.tobytes())


layers = mr.lstm_layers(sd, prefix)
add("emb", emb)
for l, dirs in enumerate(layers):
    for (wi, wh, bi, bh), suffix in zip(dirs, ["", "_reverse"]):
        for n, t in zip(["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"], [wi, wh, bi, bh]):
            add(f"{l}.{n}{suffix}", t)
with torch.no_grad():
    if kind.startswith("clas"):
        blocks, version = mr.head_blocks(sd)
        for k, (bn, lin) in enumerate(blocks):
            for n in ["weight", "bias", "running_mean", "running_var"]:
                add(f"h{k}.bn.{n}", getattr(bn, n))
            add(f"h{k}.lin.weight", lin.weight)
            if lin.bias is not None:
                add(f"h{k}.lin.bias", lin.bias)
            manifest["head"].append([lin.in_features, lin.out_features, lin.bias is not None])
        bptt = 8
        x = mr.padded_batch(torch.Generator().manual_seed(seed), 5, 3 * bptt, V, bptt)
        features = (mr.classify_v2 if version == "v2" else mr.classify_v1)(mr.AwdLstm(emb, layers, version), x, bptt, 20 * bptt)
        for k, (bn, lin) in enumerate(blocks):
            bn.eval()
            features = lin(bn(features))
            if k < len(blocks) - 1:
                features = torch.relu(features)
        manifest["bptt"] = bptt
        manifest["calls"].append(list(x.shape))
        add("call0.tokens", x.float())
        add("call0.class_logits", features)
    else:
        add("dec_b", sd["1.decoder.bias"])
        model = mr.AwdLstm(emb, layers, "v2")
        for c, (b, s) in enumerate([(3, 7), (5, 4), (2, 3)]):
            x = torch.randint(0, V, (b, s))
            hidden = model(x)
            manifest["calls"].append([b, s])
            add(f"call{c}.tokens", x.float())
            add(f"call{c}.hidden", hidden)
            add(f"call{c}.logits", torch.nn.functional.linear(hidden, emb, sd["1.decoder.bias"]))
with open(os.path.join(out_dir, "weights.bin"), "wb") as f:
    f.write(bytes(blob))
with open(os.path.join(out_dir, "manifest.json"), "w") as f:
    json.dump(manifest, f)
