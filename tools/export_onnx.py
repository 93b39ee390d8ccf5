#!/usr/bin/python3
"""Export a fastai AWD-LSTM language model to ONNX (opset 17), for a CPU benchmark peer (e.g. onnxruntime).

    /usr/bin/python3 tools/export_onnx.py MODEL.pth -o model.onnx [--reference REF.pt] [--opset 17]

MODEL.pth is a fastai checkpoint as tools/make_reference.py reads it (a bare state dict or {'model': ..., 'opt': ...};
fastai v2 / v1 / v0.7 language-model key names, e.g. fixtures/wt103_mini_fwd.pth with 0.encoder.weight,
0.rnns.{l}.weight_hh_l0_raw, 0.rnns.{l}.module.weight_ih_l0, ..., 1.decoder.weight, 1.decoder.bias). Only
unidirectional language models (with a decoder) are exported. The network is fastai's eval-mode forward pass
(docs/fastai-layouts.md §5): an embedding lookup, one single-layer batch-first torch.nn.LSTM per layer (hidden
n_hid, the last layer emb_sz; recurrent matrix from *_raw), and the decoder logits = out · Wᵀ + b.

ONNX interface (batch and seq are dynamic axes):
    inputs   tokens  int64 [batch, seq]
             h0_{l}, c0_{l}  float32 [1, batch, hidden_l]   per layer l (zeros = fastai's state after reset())
    outputs  logits  float32 [batch, seq, vocab]
             hn_{l}, cn_{l}  float32 [1, batch, hidden_l]   the state to feed into the next call

The decoder is tied to the embedding in fastai. torch.onnx would export F.linear as MatMul/Gemm on a Transpose of the
weight, and constant folding then stores that transposed [emb, vocab] copy as a second initializer. Here the decoder
is a Gemm with transB=1 on the embedding initializer itself (a custom symbolic), so the [vocab, emb] matrix is stored
once; an untied decoder gets its own matrix, also used with transB=1.

What the script checks and prints:
  * onnx.checker on the exported model; the graph's inputs and outputs with their (dynamic) dimensions;
  * the initializers (name, shape, bytes) and that exactly one holds vocab × emb values (two when untied);
  * parity: the torch module's eval outputs against the reference (default: fixtures/references/<MODEL>.ref.pt
    when it exists, written by tools/make_reference.py from zero state; max abs error of logits, expected ~1e-6);
  * the exported graph executed against the torch module, two calls with the state carried over: with onnxruntime
    if it is importable (Debian has no package for it), otherwise with a small numpy interpreter of the ten ONNX ops
    the export uses (Gather, Transpose, LSTM, Squeeze, Shape, Unsqueeze, Concat, Reshape, Gemm, Constant), which
    checks the graph itself (the LSTM gate reordering, the tied Gemm), not just the module;
  * the file size.
Deterministic: the same input gives the same bytes (torch.onnx names are stable, no timestamps).

WT103-sized benchmark model (vocab 60 000, emb 400, n_hid 1152, 3 layers; not committed, artifacts/ is ignored):
    /usr/bin/python3 tools/make_fixtures.py --size wt103          # writes fixtures/large/wt103_fwd.pth (legacy)
    /usr/bin/python3 tools/export_onnx.py fixtures/large/wt103_fwd.pth -o artifacts/wt103_fwd.onnx
(`--size wt103 --zip` also writes fixtures/large/wt103_fwd.zip.pth; either file exports the same model.)
Observed with Debian's torch 1.13: 177,337,156 bytes, the [60000, 400] embedding (96 MB) stored once; a plain
F.linear decoder would add a transposed [400, 60000] copy. Mini model: max |Δ logits| 3e-8 against its reference.
"""
import argparse
import os
import re
import sys
import warnings

import torch
import torch.nn.functional as F

sys.dont_write_bytecode = True  # no tools/__pycache__ from the import below (the repository does not ignore it)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_reference import find_prefix, load_state_dict, lstm_layers  # noqa: E402  (same key conventions)


def fail(msg):
    sys.exit(f"export_onnx.py: {msg}")


class TransposedGemm(torch.autograd.Function):
    """y = x · wᵀ + b for a 2-D x, exported as one ONNX Gemm(x, w, b, transB=1) on the weight as it is stored."""

    @staticmethod
    def forward(ctx, x, w, b):
        return F.linear(x, w, b)

    @staticmethod
    def symbolic(g, x, w, b):
        return g.op("Gemm", x, w, b, alpha_f=1.0, beta_f=1.0, transA_i=0, transB_i=1)


class AwdLstmLM(torch.nn.Module):
    """fastai's AWD-LSTM language model in eval mode, with the recurrent state as explicit inputs and outputs."""

    def __init__(self, embedding, layers, dec_weight, dec_bias):
        super().__init__()
        self.embedding = torch.nn.Parameter(embedding.clone(), requires_grad=False)
        self.tied = dec_weight is None
        self.dec_weight = None if self.tied else torch.nn.Parameter(dec_weight.clone(), requires_grad=False)
        vocab = embedding.shape[0]
        bias = dec_bias if dec_bias is not None else torch.zeros(vocab)
        self.dec_bias = torch.nn.Parameter(bias.clone(), requires_grad=False)
        self.rnns = torch.nn.ModuleList()
        for (w_ih, w_hh, b_ih, b_hh), in layers:
            rnn = torch.nn.LSTM(w_ih.shape[1], w_hh.shape[1], 1, batch_first=True)
            with torch.no_grad():
                rnn.weight_ih_l0.copy_(w_ih)
                rnn.weight_hh_l0.copy_(w_hh)
                rnn.bias_ih_l0.copy_(b_ih)
                rnn.bias_hh_l0.copy_(b_hh)
            self.rnns.append(rnn)
        self.eval()

    @property
    def hidden_sizes(self):
        return [r.hidden_size for r in self.rnns]

    def forward(self, tokens, *state):
        x = F.embedding(tokens, self.embedding)
        new_state = []
        for l, rnn in enumerate(self.rnns):
            x, (h, c) = rnn(x, (state[2 * l], state[2 * l + 1]))
            new_state += [h, c]
        w = self.embedding if self.tied else self.dec_weight
        logits = TransposedGemm.apply(x.reshape(-1, x.shape[2]), w, self.dec_bias)
        return (logits.reshape(tokens.shape[0], tokens.shape[1], w.shape[0]), *new_state)

    def zero_state(self, batch):
        return [torch.zeros(1, batch, h) for h in self.hidden_sizes for _ in range(2)]


def build(model_path):
    try:
        sd = load_state_dict(model_path)
    except ModuleNotFoundError as e:
        fail(f"{model_path} pickles a class of module '{e.name}' (fastai v2's learn.save(with_opt=True) stores "
             f"fastcore's L in 'opt'): export a file saved with with_opt=False, or the 'model' part of it")
    prefix = find_prefix(sd)
    if prefix == "0.module.":
        fail("this is a classifier; only language models are exported")
    embedding = sd[prefix + "encoder.weight"]
    dec_w, dec_b = sd.get("1.decoder.weight"), sd.get("1.decoder.bias")
    if dec_w is None:
        fail("no 1.decoder.weight: an encoder file, not a language model")
    layers = lstm_layers(sd, prefix)
    if any(len(dirs) != 1 for dirs in layers):
        fail("bidirectional models are not exported (fastai language models are unidirectional)")
    tied = dec_w.shape == embedding.shape and torch.equal(dec_w, embedding)
    return AwdLstmLM(embedding, layers, None if tied else dec_w, dec_b)


def export(model, path, opset):
    n = len(model.rnns)
    names_in = ["tokens"] + [f"{k}0_{l}" for l in range(n) for k in ("h", "c")]
    names_out = ["logits"] + [f"{k}n_{l}" for l in range(n) for k in ("h", "c")]
    dynamic = {"tokens": {0: "batch", 1: "seq"}, "logits": {0: "batch", 1: "seq"}}
    for name in names_in[1:] + names_out[1:]:
        dynamic[name] = {1: "batch"}
    example = (torch.zeros(2, 3, dtype=torch.long), *model.zero_state(2))
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with torch.no_grad(), warnings.catch_warnings():
        # torch 1.13 deprecates g.op in custom symbolics (still the documented way in this release).
        warnings.filterwarnings("ignore", message=".*_graph_op' is deprecated", category=FutureWarning)
        torch.onnx.export(model, example, path, opset_version=opset, input_names=names_in, output_names=names_out,
                          dynamic_axes=dynamic, do_constant_folding=True)


def describe(path, vocab, emb, tied):
    import onnx
    from onnx import numpy_helper

    m = onnx.load(path)
    onnx.checker.check_model(m)

    def dims(vi):
        return "[" + ", ".join(d.dim_param or str(d.dim_value) for d in vi.type.tensor_type.shape.dim) + "]"

    for kind, values in (("input", m.graph.input), ("output", m.graph.output)):
        for vi in values:
            elem = onnx.TensorProto.DataType.Name(vi.type.tensor_type.elem_type).lower()
            print(f"  {kind:6s} {vi.name:8s} {elem:7s} {dims(vi)}")
    total = 0
    big = []
    print("  initializers:")
    for t in m.graph.initializer:
        a = numpy_helper.to_array(t)
        total += a.nbytes
        print(f"    {t.name:40s} {str(list(a.shape)):16s} {a.dtype}  {a.nbytes:>12,d} B")
        if a.size == vocab * emb:
            big.append((t.name, list(a.shape)))
    ops = {}
    for node in m.graph.node:
        ops[node.op_type] = ops.get(node.op_type, 0) + 1
    print(f"  {len(m.graph.initializer)} initializers, {total:,d} B; ops: "
          + ", ".join(f"{k} {v}" for k, v in sorted(ops.items())))
    want = 1 if tied else 2
    if len(big) != want or any(shape != [vocab, emb] for _, shape in big):
        fail(f"expected {want} initializer(s) of [{vocab}, {emb}] values, found {big}")
    gemms = [nd for nd in m.graph.node if nd.op_type == "Gemm"]
    if len(gemms) != 1 or gemms[0].input[1] != big[0 if tied else -1][0] or \
            {a.name: a.i for a in gemms[0].attribute}.get("transB") != 1:
        fail("the decoder is not one Gemm(transB=1) on the stored [vocab, emb] matrix")
    print(f"  the [{vocab}, {emb}] matrix is stored {len(big)} time(s){' (tied: embedding = decoder)' if tied else ''}; "
          f"decoder = Gemm(transB=1) on '{gemms[0].input[1]}'")


def parity(model, reference):
    ref = torch.load(reference)
    tokens = ref["tokens"]
    with torch.no_grad():
        out = model(tokens, *model.zero_state(tokens.shape[0]))
    err = (out[0] - ref["logits"]).abs().max().item()
    print(f"  torch module vs {reference}: tokens {tuple(tokens.shape)}, max |Δ logits| = {err:.3g}")
    if err > 1e-5:
        fail(f"the module does not reproduce the reference (max abs error {err:.3g})")
    return tokens


def run_numpy(path, feed):
    """Executes the exported graph with numpy, for the few ONNX ops torch.onnx emits here (an oracle for when
    onnxruntime is missing: it checks the exported graph itself, e.g. the LSTM gate reordering, not the module)."""
    import numpy as np
    import onnx
    from onnx import numpy_helper

    m = onnx.load(path)
    env = {t.name: numpy_helper.to_array(t) for t in m.graph.initializer}
    env.update(feed)
    sig = lambda z: 1.0 / (1.0 + np.exp(-z))  # noqa: E731
    for node in m.graph.node:
        at = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
        x = [env[n] if n else None for n in node.input]
        op = node.op_type
        if op == "Constant":
            out = [numpy_helper.to_array(at["value"])]
        elif op == "Gather":
            out = [np.take(x[0], x[1], axis=at.get("axis", 0))]
        elif op == "Transpose":
            out = [np.transpose(x[0], at["perm"])]
        elif op == "Shape":
            out = [np.array(x[0].shape, dtype=np.int64)]
        elif op == "Unsqueeze":
            out = [np.expand_dims(x[0], tuple(int(a) for a in x[1]))]
        elif op == "Squeeze":
            out = [np.squeeze(x[0], tuple(int(a) for a in x[1]))]
        elif op == "Concat":
            out = [np.concatenate(x, axis=at["axis"])]
        elif op == "Reshape":
            shape = [x[0].shape[i] if d == 0 and not at.get("allowzero", 0) else int(d) for i, d in enumerate(x[1])]
            out = [x[0].reshape(shape)]
        elif op == "Gemm":
            a = x[0].T if at.get("transA", 0) else x[0]
            b = x[1].T if at.get("transB", 0) else x[1]
            out = [(at.get("alpha", 1.0) * (a @ b) + at.get("beta", 1.0) * x[2]).astype(np.float32)]
        elif op == "LSTM":
            if set(at) - {"hidden_size"} or (len(x) > 4 and x[4] is not None):
                fail(f"the numpy check does not handle LSTM attributes {sorted(at)} or sequence_lens")
            seq, w, r, b, h, c = x[0], x[1][0], x[2][0], x[3][0], x[5][0], x[6][0]
            hs = at["hidden_size"]
            ys = []
            for t in range(seq.shape[0]):
                gates = seq[t] @ w.T + h @ r.T + b[:4 * hs] + b[4 * hs:]   # ONNX gate order: i, o, f, c
                i, o, f, g = (gates[:, k * hs:(k + 1) * hs] for k in range(4))
                c = sig(f) * c + sig(i) * np.tanh(g)
                h = sig(o) * np.tanh(c)
                ys.append(h)
            out = [np.stack(ys)[:, None].astype(np.float32), h[None].astype(np.float32), c[None].astype(np.float32)]
        else:
            fail(f"the numpy check does not implement ONNX op {op}")
        for name, value in zip(node.output, out):
            env[name] = value
    return [env[o.name] for o in m.graph.output]


def run_exported(model, path, tokens):
    """Runs the exported graph (onnxruntime if importable, else the numpy interpreter) against the torch module:
    two calls, the second from the first call's final state, so that the state outputs are checked too."""
    try:
        import onnxruntime as ort
        sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
        runner, how = (lambda feed: sess.run(None, feed)), f"onnxruntime {ort.__version__}"
    except ImportError:
        print("  onnxruntime is not importable here: the graph is executed by the numpy interpreter of its ops instead")
        runner, how = (lambda feed: run_numpy(path, feed)), "numpy interpreter"
    state = model.zero_state(tokens.shape[0])
    for call in range(2):
        feed = {"tokens": tokens.numpy()}
        for l in range(len(model.rnns)):
            feed[f"h0_{l}"], feed[f"c0_{l}"] = state[2 * l].numpy(), state[2 * l + 1].numpy()
        got = runner(feed)
        with torch.no_grad():
            want = model(tokens, *state)
        errs = [float(abs(torch.from_numpy(g) - w).max()) for g, w in zip(got, want)]
        print(f"  exported graph ({how}) vs torch module, call {call + 1}: max |Δ| logits {errs[0]:.3g}, "
              f"state {max(errs[1:]):.3g}")
        if max(errs) > 1e-4:
            fail("the exported graph disagrees with the torch module")
        state = list(want[1:])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("model")
    ap.add_argument("-o", "--output", required=True, help="the .onnx file to write")
    ap.add_argument("--opset", type=int, default=17)
    ap.add_argument("--reference", help="make_reference.py output to compare with "
                                        "(default: fixtures/references/<model file name>.ref.pt if it exists)")
    a = ap.parse_args()
    torch.manual_seed(0)
    torch.set_grad_enabled(False)

    model = build(a.model)
    vocab, emb = model.embedding.shape
    print(f"{a.model}: vocab {vocab}, emb {emb}, LSTM hidden {model.hidden_sizes}, "
          f"{'tied' if model.tied else 'untied'} decoder")
    export(model, a.output, a.opset)
    print(f"{a.output}: {os.path.getsize(a.output):,d} bytes, opset {a.opset}")
    describe(a.output, vocab, emb, model.tied)

    reference = a.reference
    if reference is None:
        guess = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "references",
                             re.sub(r"^.*/", "", a.model) + ".ref.pt")
        reference = guess if os.path.exists(guess) else None
    if reference:
        tokens = parity(model, reference)
    else:
        print("  no reference file: parity with make_reference.py not checked (pass --reference)")
        tokens = torch.randint(0, vocab, (2, 16), generator=torch.Generator().manual_seed(0))
    run_exported(model, a.output, tokens)


if __name__ == "__main__":
    main()
