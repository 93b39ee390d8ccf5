#!/usr/bin/env python3
"""PyTorch (cuDNN LSTM) side of the CUDA benchmark: the AWD-LSTM eval forward pass that WeightPort's CUDA backend runs.

Measures, on one GPU, with CUDA events and after a warm-up:
  * throughput: batch 64 x seq 70 (fastai's LM bptt), stateful like fastai (hidden state carried, detached),
    encoder only and encoder + decoder (logits), reported as tokens/s;
  * single-token latency: batch 1 x seq 1, stateful, encoder + decoder (the generation step), median and p90 in ms.

The model is built from plain torch.nn modules (nn.Embedding, one single-layer nn.LSTM per AWD-LSTM layer, nn.Linear
decoder) so no fastai is needed. With --checkpoint, sizes and weights come from a fastai v1/v2 language-model state
dict (keys 0.encoder.weight, 0.rnns.{l}.module.weight_ih_l0, 0.rnns.{l}.weight_hh_l0_raw or .module.weight_hh_l0,
1.decoder.*); without it, random weights of the WT103 shape (vocab 60000, emb 400, hidden 1152, 3 layers). Speed
does not depend on the values.

TF32 is OFF by default on both cuBLAS and cuDNN (torch.backends.cudnn.allow_tf32 defaults to True for RNNs!) so that
the comparison is float32 against WeightPort's default float32; --tf32 turns it on for both.

  python3 tools/bench_cuda_torch.py [--checkpoint fixtures/large/wt103_fwd.pth] [--json out.json]
"""
import argparse
import json
import re
import statistics
import sys

import torch
import torch.nn as nn


class AwdLstmEval(nn.Module):
    def __init__(self, vocab, emb, hidden_sizes, input_sizes, tied=True, bias=True):
        super().__init__()
        self.encoder = nn.Embedding(vocab, emb)
        self.rnns = nn.ModuleList(nn.LSTM(i, h, 1, batch_first=True) for i, h in zip(input_sizes, hidden_sizes))
        self.decoder = nn.Linear(emb, vocab, bias=bias)
        if tied:
            self.decoder.weight = self.encoder.weight
        self.hidden = None

    def reset(self):
        self.hidden = None

    def encode(self, tokens):
        x = self.encoder(tokens)
        new_hidden = []
        for l, rnn in enumerate(self.rnns):
            x, h = rnn(x, None if self.hidden is None else self.hidden[l])
            new_hidden.append(tuple(t.detach() for t in h))
        self.hidden = new_hidden
        return x

    def forward(self, tokens):
        return self.decoder(self.encode(tokens))


def sizes_from_state(state):
    emb_w = state["0.encoder.weight"]
    vocab, emb = emb_w.shape
    layers = sorted({int(m.group(1)) for k in state for m in [re.match(r"0\.rnns\.(\d+)\.", k)] if m})
    hidden, inputs = [], []
    for l in layers:
        w_ih = state[f"0.rnns.{l}.module.weight_ih_l0"]
        hidden.append(w_ih.shape[0] // 4)
        inputs.append(w_ih.shape[1])
    return vocab, emb, hidden, inputs


def load_weights(model, state):
    with torch.no_grad():
        model.encoder.weight.copy_(state["0.encoder.weight"])
        for l, rnn in enumerate(model.rnns):
            p = f"0.rnns.{l}."
            w_hh = state.get(p + "weight_hh_l0_raw", state.get(p + "module.weight_hh_l0"))
            rnn.weight_ih_l0.copy_(state[p + "module.weight_ih_l0"])
            rnn.weight_hh_l0.copy_(w_hh)
            rnn.bias_ih_l0.copy_(state[p + "module.bias_ih_l0"])
            rnn.bias_hh_l0.copy_(state[p + "module.bias_hh_l0"])
        if "1.decoder.bias" in state and model.decoder.bias is not None:
            model.decoder.bias.copy_(state["1.decoder.bias"])
        if "1.decoder.weight" in state and model.decoder.weight is not model.encoder.weight:
            model.decoder.weight.copy_(state["1.decoder.weight"])


def timed(fn, iters, warmup):
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(iters):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        fn()
        end.record()
        end.synchronize()
        times.append(start.elapsed_time(end))
    return times


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--seq", type=int, default=70)
    ap.add_argument("--iters", type=int, default=50)
    ap.add_argument("--latency-iters", type=int, default=500)
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--tf32", action="store_true", help="allow TF32 in cuBLAS and cuDNN (default: off, float32)")
    ap.add_argument("--device", default="cuda:0")
    ap.add_argument("--json", help="also write the results here")
    a = ap.parse_args()

    if not torch.cuda.is_available():
        sys.exit("CUDA PyTorch is required: torch.cuda.is_available() is False "
                 f"(torch {torch.__version__}, built for CUDA {torch.version.cuda})")
    torch.backends.cuda.matmul.allow_tf32 = a.tf32
    torch.backends.cudnn.allow_tf32 = a.tf32
    torch.backends.cudnn.benchmark = True
    dev = torch.device(a.device)

    if a.checkpoint:
        state = torch.load(a.checkpoint, map_location="cpu")
        if isinstance(state, dict) and "model" in state and isinstance(state["model"], dict):
            state = state["model"]
        vocab, emb, hidden, inputs = sizes_from_state(state)
        tied = "1.decoder.weight" not in state or torch.equal(state["1.decoder.weight"], state["0.encoder.weight"])
        model = AwdLstmEval(vocab, emb, hidden, inputs, tied=tied, bias="1.decoder.bias" in state)
        load_weights(model, state)
    else:
        vocab, emb, n_hid = 60000, 400, 1152
        hidden, inputs = [n_hid, n_hid, emb], [emb, n_hid, n_hid]
        model = AwdLstmEval(vocab, emb, hidden, inputs)
    model = model.to(dev).eval()

    gen = torch.Generator(device="cpu").manual_seed(0)
    tokens = torch.randint(0, vocab, (a.batch, a.seq), generator=gen).to(dev)
    one = torch.randint(0, vocab, (1, 1), generator=gen).to(dev)
    rows = a.batch * a.seq

    with torch.inference_mode():
        model.reset()
        enc = timed(lambda: model.encode(tokens), a.iters, a.warmup)
        model.reset()
        full = timed(lambda: model(tokens), a.iters, a.warmup)
        model.reset()
        lat = timed(lambda: model(one), a.latency_iters, a.warmup)

    def summary(ms):
        ms = sorted(ms)
        return {"median_ms": statistics.median(ms), "min_ms": ms[0], "p90_ms": ms[int(0.9 * (len(ms) - 1))]}

    result = {
        "framework": "pytorch",
        "torch": torch.__version__,
        "cuda": torch.version.cuda,
        "cudnn": torch.backends.cudnn.version(),
        "device": torch.cuda.get_device_name(dev),
        "tf32": a.tf32,
        "model": {"vocab": vocab, "emb": emb, "hidden": hidden, "inputs": inputs},
        "batch": a.batch, "seq": a.seq,
        "encode": summary(enc),
        "encode_decode": summary(full),
        "single_token": summary(lat),
    }
    result["encode"]["tokens_per_s"] = rows / (result["encode"]["median_ms"] / 1000)
    result["encode_decode"]["tokens_per_s"] = rows / (result["encode_decode"]["median_ms"] / 1000)

    print(f"PyTorch {torch.__version__} (CUDA {torch.version.cuda}, cuDNN {result['cudnn']}) on {result['device']}, "
          f"TF32 {'on' if a.tf32 else 'off'}; model vocab {vocab}, emb {emb}, hidden {hidden}")
    print(f"  encode        {a.batch}x{a.seq}: {result['encode']['median_ms']:8.3f} ms median  "
          f"{result['encode']['tokens_per_s']:12,.0f} tokens/s")
    print(f"  encode+decode {a.batch}x{a.seq}: {result['encode_decode']['median_ms']:8.3f} ms median  "
          f"{result['encode_decode']['tokens_per_s']:12,.0f} tokens/s")
    print(f"  single token  1x1 (stateful, with decoder): {result['single_token']['median_ms']:.3f} ms median, "
          f"p90 {result['single_token']['p90_ms']:.3f} ms")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(result, f, indent=2)


if __name__ == "__main__":
    main()
