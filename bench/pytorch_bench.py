#!/usr/bin/env python3
"""The PyTorch half of tools/bench_cpu.sh: the same AWD-LSTM forward (fastai eval semantics: embedding, one
batch-first nn.LSTM per layer with hidden state carried across calls, tied decoder with bias) at the WT103 shape,
timed like bench/WeightPort.Bench/SideBySide.cs."""
import argparse
import statistics
import time

import torch


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--steps", type=int, default=200)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    vocab, emb, n_hid, n_layers = 60000, 400, 1152, 3
    encoder = torch.nn.Embedding(vocab, emb, padding_idx=1)
    rnns = [torch.nn.LSTM(emb if l == 0 else n_hid, n_hid if l != n_layers - 1 else emb, 1, batch_first=True)
            for l in range(n_layers)]
    decoder = torch.nn.Linear(emb, vocab)
    decoder.weight = encoder.weight
    for m in [encoder, decoder, *rnns]:
        m.eval()
    hidden = [None] * n_layers
    bs_now = [0]

    def forward(x):
        bs = x.shape[0]
        if bs != bs_now[0]:
            hidden[:] = [None] * n_layers
            bs_now[0] = bs
        out = encoder(x)
        for l, rnn in enumerate(rnns):
            out, hidden[l] = rnn(out, hidden[l])
        return decoder(out)

    print(f"# pytorch {torch.__version__}, threads {torch.get_num_threads()}")
    with torch.no_grad():
        for bs, sl in [(64, 70), (16, 70)]:
            x = torch.randint(0, vocab, (bs, sl))
            forward(x)
            times = []
            for _ in range(args.repeats):
                t0 = time.perf_counter()
                y = forward(x)
                times.append(time.perf_counter() - t0)
                del y
            med = statistics.median(times)
            print(f"pytorch batch={bs} seq={sl} median_s={med:.4f} best_s={min(times):.4f} tok_per_s={bs * sl / med:.1f}")
        hidden[:] = [None] * n_layers
        x = torch.randint(0, vocab, (1, 1))
        for _ in range(10):
            forward(x)
        times = []
        for i in range(args.steps):
            x = torch.randint(0, vocab, (1, 1))
            t0 = time.perf_counter()
            forward(x)
            times.append((time.perf_counter() - t0) * 1000)
        times.sort()
        print(f"pytorch single_token median_ms={times[len(times) // 2]:.3f} best_ms={times[0]:.3f}")


if __name__ == "__main__":
    main()
