#!/usr/bin/env python3
"""Reference outputs of a fastai AWD-LSTM checkpoint, computed by real PyTorch (fastai itself is not needed).

    make_reference.py MODEL.pth [-o REF.pt] [--tokens N | --batch B --seq S] [--seed K]
                      [--pooling v1|v2] [--bptt N] [--max-len N]

Loads MODEL.pth with torch.load (a bare state dict or fastai's {'model': ..., 'opt': ...}), recognises the layout
(fastai v2 / v1 / v0.7 language model or encoder, v1 / v2 classifier, bidirectional; see
docs docs/fastai-layouts.md §1-§4), infers the configuration from the shapes, rebuilds the network from
torch.nn.Embedding, one batch-first torch.nn.LSTM per layer, torch.nn.Linear and torch.nn.BatchNorm1d, runs it with
fastai's eval-mode semantics (§5-§6) and torch.save()s a dict with exactly these keys:

    tokens        int64 [batch, seq]
    logits        float [batch, seq, vocab]    language models (absent for encoder-only files)
    class_logits  float [batch, n_classes]     classifiers
    last_hidden   float [batch, seq, emb]      language models and encoders: the last LSTM layer's output

Language-model tokens are uniform over the vocabulary. Classifier tokens avoid the pad id (1) and are padded as
fastai's pad_chunk does (rows sorted by decreasing length; (pad // bptt)·bptt pads first, pad % bptt at the end).
--tokens N is shorthand for one row of N tokens.
"""
import argparse
import re
import sys

import torch

PAD = 1


def fail(msg):
    sys.exit(f"make_reference.py: {msg}")


def load_state_dict(path):
    obj = torch.load(path, map_location="cpu")
    if isinstance(obj, dict) and "model" in obj and isinstance(obj["model"], dict):
        obj = obj["model"]
    if not isinstance(obj, dict) or not all(isinstance(v, torch.Tensor) for v in obj.values()):
        fail(f"{path}: not a state dict (or {{'model': state_dict}})")
    return {k: v.float() if v.is_floating_point() else v for k, v in obj.items()}


def find_prefix(sd):
    """The encoder's key prefix: '0.module.' (classifiers), '0.' (LMs, old classifiers) or '' (encoder files)."""
    for prefix in ("0.module.", "0.", ""):
        if prefix + "encoder.weight" in sd:
            return prefix
    fail("no encoder.weight key (tried '0.module.encoder.weight', '0.encoder.weight', 'encoder.weight')")


def pick(sd, candidates, what):
    for key in candidates:
        if key in sd:
            return sd[key]
    fail(f"{what} not found; tried {', '.join(candidates)}")


def lstm_layers(sd, prefix):
    """Per layer, per direction: (W_ih, W_hh, b_ih, b_hh), honouring the *_raw rule (use _raw, drop the derived copy)."""
    layers = []
    ids = sorted({int(m.group(1)) for k in sd for m in [re.match(re.escape(prefix) + r"rnns\.(\d+)\.", k)] if m})
    if ids != list(range(len(ids))) or not ids:
        fail(f"LSTM layers under '{prefix}rnns.' are {ids}, expected 0..n-1")
    for l in ids:
        base = f"{prefix}rnns.{l}."
        dirs = []
        for suffix in ("", "_reverse"):
            keys_ih = [base + "module.weight_ih_l0" + suffix, base + "weight_ih_l0" + suffix]
            if not any(k in sd for k in keys_ih):
                if suffix:
                    break
            # v1/v2 keep the raw recurrent matrix on the wrapper, v0.7 on the LSTM; the reverse direction is never
            # weight-dropped (docs/fastai-layouts.md §4.8 Bidirectional), and wdrop=0 models have plain keys.
            hh = [base + "weight_hh_l0_raw", base + "module.weight_hh_l0_raw"] if not suffix else []
            hh += [base + "module.weight_hh_l0" + suffix, base + "weight_hh_l0" + suffix]
            dirs.append(tuple(pick(sd, c, f"layer {l}{suffix} {n}") for n, c in (
                ("weight_ih", keys_ih),
                ("weight_hh", hh),
                ("bias_ih", [base + "module.bias_ih_l0" + suffix, base + "bias_ih_l0" + suffix]),
                ("bias_hh", [base + "module.bias_hh_l0" + suffix, base + "bias_hh_l0" + suffix]))))
        layers.append(dirs)
    return layers


def head_blocks(sd):
    """Classifier head: [(bn_module, linear_module)] from '1.layers.*' (v2 nested LinBnDrop, v1 flat, v0.7 bn/lin)."""
    modules = {}
    for k in sd:
        if k.startswith("1.layers."):
            path, _, leaf = k[len("1.layers."):].rpartition(".")
            modules.setdefault(path, {})[leaf] = sd[k]
    if not modules:
        return None, None

    def order(path):
        return [int(p) if p.isdigit() else (0 if p == "bn" else 1) for p in path.split(".")]

    seq = []
    for path in sorted(modules, key=order):
        m = modules[path]
        if "running_mean" in m:
            bn = torch.nn.BatchNorm1d(m["running_mean"].shape[0], eps=1e-5)
            for name in ("weight", "bias", "running_mean", "running_var"):
                getattr(bn, name).data.copy_(m[name])
            seq.append(("bn", bn))
        elif "weight" in m and m["weight"].dim() == 2:
            lin = torch.nn.Linear(m["weight"].shape[1], m["weight"].shape[0], bias="bias" in m)
            lin.load_state_dict({k: v for k, v in m.items() if k in ("weight", "bias")})
            seq.append(("lin", lin))
        else:
            fail(f"head module 1.layers.{path} is neither BatchNorm1d nor Linear: {sorted(m)}")
    blocks, pending = [], None
    for kind, module in seq:
        if kind == "bn":
            pending = module
        else:
            blocks.append((pending, module))
            pending = None
    version = "v07" if any(p.endswith("bn") or p.endswith("lin") for p in modules) else \
        ("v1" if all(lin.bias is not None for _, lin in blocks) else "v2")
    return blocks, version


class AwdLstm:
    """fastai's AWD_LSTM in eval mode: the hidden state persists across calls; a batch-size change follows v2
    (_change_one_hidden) or v1 (full reset)."""

    def __init__(self, embedding, layers, version):
        self.version = version
        self.encoder = torch.nn.Embedding(*embedding.shape)
        self.encoder.weight.data.copy_(embedding)
        self.rnns = []
        for dirs in layers:
            w_ih, w_hh = dirs[0][0], dirs[0][1]
            rnn = torch.nn.LSTM(w_ih.shape[1], w_hh.shape[1], 1, batch_first=True, bidirectional=len(dirs) == 2)
            for (wi, wh, bi, bh), suffix in zip(dirs, ("", "_reverse")):
                getattr(rnn, "weight_ih_l0" + suffix).data.copy_(wi)
                getattr(rnn, "weight_hh_l0" + suffix).data.copy_(wh)
                getattr(rnn, "bias_ih_l0" + suffix).data.copy_(bi)
                getattr(rnn, "bias_hh_l0" + suffix).data.copy_(bh)
            rnn.eval()
            self.rnns.append(rnn)
        self.bs = 0
        self.hidden = None

    def reset(self):
        self.hidden = None

    def _change_hidden(self, bs):
        if self.hidden is None or self.version == "v1":
            self.hidden = None
        elif bs > self.bs:
            self.hidden = [tuple(torch.cat([t, t.new_zeros(t.shape[0], bs - self.bs, t.shape[2])], 1) for t in h)
                           for h in self.hidden]
        else:
            self.hidden = [tuple(t[:, :bs].contiguous() for t in h) for h in self.hidden]
        self.bs = bs

    def __call__(self, x):
        bs = x.shape[0]
        if bs != self.bs:
            self._change_hidden(bs)
        out = self.encoder(x)
        new_hidden = []
        for l, rnn in enumerate(self.rnns):
            if bs == 0:
                out = out.new_zeros(0, x.shape[1], rnn.hidden_size * (2 if rnn.bidirectional else 1))
                new_hidden.append(tuple(torch.zeros(2 if rnn.bidirectional else 1, 0, rnn.hidden_size) for _ in range(2)))
                continue
            out, h = rnn(out, None if self.hidden is None else self.hidden[l])
            new_hidden.append(h)
        self.hidden = new_hidden
        return out


def classify_v2(enc, x, bptt, max_len):
    """SentenceEncoder + masked_concat_pool, fastai ≥ 2.0 (text/models/core.py)."""
    bs, sl = x.shape
    enc.reset()
    mask = x == PAD
    outs, masks = [], []
    for i in range(0, sl, bptt):
        real_bs = int((x[:, i] != PAD).long().sum())
        o = enc(x[:real_bs, i:min(i + bptt, sl)])
        if max_len is None or sl - i <= max_len:
            outs.append(torch.cat([o, o.new_zeros(bs - o.shape[0], *o.shape[1:])]) if o.shape[0] < bs else o)
            masks.append(mask[:, i:min(i + bptt, sl)])
    output, mask = torch.cat(outs, 1), torch.cat(masks, 1)
    lens = output.shape[1] - mask.long().sum(dim=1)
    last_lens = mask[:, -bptt:].long().sum(dim=1)
    avg_pool = output.masked_fill(mask[:, :, None], 0).sum(dim=1)
    avg_pool.div_(lens.type(avg_pool.dtype)[:, None])
    max_pool = output.masked_fill(mask[:, :, None], -float("inf")).max(dim=1)[0]
    return torch.cat([output[torch.arange(0, bs), -last_lens - 1], max_pool, avg_pool], 1)


def classify_v1(enc, x, bptt, max_len):
    """MultiBatchEncoder + masked_concat_pool, fastai 1.x ≥ 1.0.47 (text/learner.py, text/models/awd_lstm.py)."""
    bs, sl = x.shape
    enc.reset()
    outs, masks = [], []
    for i in range(0, sl, bptt):
        o = enc(x[:, i:min(i + bptt, sl)])
        if i > sl - max_len:
            masks.append(x[:, i:min(i + bptt, sl)] == PAD)
            outs.append(o)
    output, mask = torch.cat(outs, 1), torch.cat(masks, 1)
    avg_pool = output.masked_fill(mask[:, :, None], 0).mean(dim=1)
    avg_pool *= output.size(1) / (output.size(1) - mask.type(avg_pool.dtype).sum(dim=1))[:, None]
    max_pool = output.masked_fill(mask[:, :, None], -float("inf")).max(dim=1)[0]
    return torch.cat([output[:, -1], max_pool, avg_pool], 1)


def padded_batch(gen, batch, seq, vocab, bptt):
    lengths = sorted([seq] + [int(torch.randint(1, seq + 1, (1,), generator=gen)) for _ in range(batch - 1)], reverse=True)
    rows = []
    for n in lengths:
        real = torch.randint(2, vocab, (n,), generator=gen) if vocab > 2 else torch.zeros(n, dtype=torch.long)
        pad = seq - n
        rows.append(torch.cat([torch.full(((pad // bptt) * bptt,), PAD), real, torch.full((pad % bptt,), PAD)]).long())
    return torch.stack(rows)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("model")
    ap.add_argument("-o", "--output", default=None, help="output file (default: MODEL with .ref.pt)")
    ap.add_argument("--tokens", type=int, help="one row of N tokens (batch 1, seq N)")
    ap.add_argument("--batch", type=int)
    ap.add_argument("--seq", type=int)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--pooling", choices=["v1", "v2"], help="classifier semantics (default: from the head layout)")
    ap.add_argument("--bptt", type=int, help="classifier chunk length (default 72 for v2, 70 for v1)")
    ap.add_argument("--max-len", type=int, help="classifier max_len (default 20 * bptt)")
    a = ap.parse_args()
    torch.set_grad_enabled(False)
    gen = torch.Generator().manual_seed(a.seed)

    sd = load_state_dict(a.model)
    prefix = find_prefix(sd)
    embedding = sd[prefix + "encoder.weight"]
    vocab = embedding.shape[0]
    layers = lstm_layers(sd, prefix)
    blocks, head_version = head_blocks(sd)
    out = {}
    if blocks is not None:
        if head_version == "v07":
            fail("fastai v0.7 classifiers (unmasked pooling, sequence-first) are not supported")
        pooling = a.pooling or head_version
        bptt = a.bptt or (72 if pooling == "v2" else 70)
        max_len = a.max_len or 20 * bptt
        batch = a.batch or (1 if a.tokens else 4)
        # A multiple of bptt keeps every chunk's non-pad rows a prefix of the sorted batch, as fastai assumes.
        seq = a.seq or a.tokens or 3 * bptt
        x = padded_batch(gen, batch, seq, vocab, bptt)
        enc = AwdLstm(embedding, layers, pooling)
        features = (classify_v2 if pooling == "v2" else classify_v1)(enc, x, bptt, max_len)
        for k, (bn, lin) in enumerate(blocks):
            if bn is not None:
                bn.eval()
                features = bn(features)
            features = lin(features)
            if k < len(blocks) - 1:
                features = torch.relu(features)
        out = {"tokens": x, "class_logits": features.contiguous()}
        what = f"classifier ({pooling}, bptt {bptt}, max_len {max_len}), {len(blocks)} head blocks"
    else:
        batch = a.batch or (1 if a.tokens else 2)
        seq = a.seq or a.tokens or 16
        x = torch.randint(0, vocab, (batch, seq), generator=gen)
        enc = AwdLstm(embedding, layers, "v2")
        hidden = enc(x)
        out = {"tokens": x}
        dec = sd.get("1.decoder.weight")
        if dec is not None:
            bias = sd.get("1.decoder.bias")
            out["logits"] = torch.nn.functional.linear(hidden, dec, bias).contiguous()
        out["last_hidden"] = hidden.contiguous()
        what = "language model" if dec is not None else "encoder"
    path = a.output or re.sub(r"(\.[^./]*)?$", ".ref.pt", a.model, count=1)
    torch.save(out, path)
    dirs = len(layers[0])
    print(f"{a.model}: {what}; vocab {vocab}, emb {embedding.shape[1]}, {len(layers)} layers"
          f"{' bidirectional' if dirs == 2 else ''}; tokens {tuple(x.shape)} -> {path} ({', '.join(out)})")


if __name__ == "__main__":
    main()
