#!/usr/bin/python3
"""The PyTorch peer of tools/bench_peers.sh (Debian's torch 1.13 + OpenBLAS): the same model file, the same protocol
and the same output lines as bench/WeightPort.Peers (see its Program.cs and Timing.cs).

    peers_pytorch.py check --pth FILE --reference REF.pt [--threads 2]
    peers_pytorch.py run CASE --pth FILE [--threads 2] [--repeats 5] [--steps 200]

The model is fastai's eval-mode forward pass rebuilt from torch.nn modules (tools/make_reference.py's loader): an
Embedding, one batch-first LSTM per layer with the state carried between calls, a Linear decoder tied to the
embedding. "load" is torch.load of the fastai file plus building the modules.
"""
import argparse
import os
import random
import resource
import statistics
import sys
import time

import torch

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from make_reference import find_prefix, load_state_dict, lstm_layers  # noqa: E402

VOCAB = 60000


class Model:
    def __init__(self, path):
        sd = load_state_dict(path)
        prefix = find_prefix(sd)
        emb = sd.get(prefix + "encoder.weight")
        layers = lstm_layers(sd, prefix)
        self.encoder = torch.nn.Embedding(*emb.shape)
        self.encoder.weight.data = emb
        self.rnns = []
        for (w_ih, w_hh, b_ih, b_hh), in layers:
            rnn = torch.nn.LSTM(w_ih.shape[1], w_hh.shape[1], 1, batch_first=True)
            rnn.weight_ih_l0.data, rnn.weight_hh_l0.data, rnn.bias_ih_l0.data, rnn.bias_hh_l0.data = w_ih, w_hh, b_ih, b_hh
            rnn.eval()
            self.rnns.append(rnn)
        self.decoder = torch.nn.Linear(emb.shape[1], emb.shape[0])
        self.decoder.weight = self.encoder.weight
        bias = [k for k in sd if k.endswith("decoder.bias")]
        self.decoder.bias.data = sd[bias[0]] if bias else torch.zeros(emb.shape[0])
        self.hidden = None
        self.batch = 0

    def reset(self):
        self.hidden = None
        self.batch = 0

    def __call__(self, x):
        if x.shape[0] != self.batch:
            self.hidden = [None] * len(self.rnns)
            self.batch = x.shape[0]
        out = self.encoder(x)
        for l, rnn in enumerate(self.rnns):
            out, self.hidden[l] = rnn(out, self.hidden[l])
        return self.decoder(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("command", choices=["check", "run"])
    ap.add_argument("case", nargs="?", default="1x1")
    ap.add_argument("--pth", default="fixtures/large/wt103_fwd.pth")
    ap.add_argument("--reference", default="artifacts/wt103_fwd.ref.pt")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--steps", type=int, default=200)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    with torch.no_grad():
        t0 = time.perf_counter()
        model = Model(args.pth)
        load_ms = (time.perf_counter() - t0) * 1000
        print(f"# PyTorch {torch.__version__}, {torch.get_num_threads()} threads")
        if args.command == "check":
            ref = torch.load(args.reference)
            logits = model(ref["tokens"])
            diff = (logits - ref["logits"]).abs().max().item()
            b, s = ref["tokens"].shape
            print(f"check engine=pytorch max_abs={diff:.2E} batch={b} seq={s} n={logits.numel()}")
            return
        batch, seq = (int(v) for v in args.case.split("x"))
        rng = random.Random(2)
        if batch * seq == 1:
            x = torch.tensor([[5]])
            for _ in range(10):
                model(x)
            times = []
            for _ in range(args.steps):
                x = torch.tensor([[rng.randrange(VOCAB)]])
                t = time.perf_counter()
                y = model(x)
                times.append((time.perf_counter() - t) * 1000)
                del y
            ms = statistics.median(times)
            tok, ms_tok, best = 1000 / ms, ms, min(times)
        else:
            x = torch.tensor([[rng.randrange(VOCAB) for _ in range(seq)] for _ in range(batch)])
            model(x)
            times = []
            for _ in range(args.repeats):
                t = time.perf_counter()
                y = model(x)
                times.append(time.perf_counter() - t)
                del y
            med = statistics.median(times)
            tok, ms_tok, best = batch * seq / med, med * 1000 / (batch * seq), min(times) * 1000 / (batch * seq)
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"result engine=pytorch case={args.case} load_ms={load_ms:.1f} tok_per_s={tok:.1f} ms_per_token={ms_tok:.3f} best_ms_per_token={best:.3f} peak_rss_mib={rss:.1f}")


if __name__ == "__main__":
    main()
