#!/usr/bin/python3
"""Generate WeightPort's test fixtures with real PyTorch (no fastai needed).

fastai is not installed here, so the fastai v0.7 / v1 / v2 AWD-LSTM module trees are rebuilt below in plain torch,
with the same class names, attribute names and registration order as fastai, so that ``model.state_dict()`` yields
the real key names, key order and storage sharing (see docs/fastai-layouts.md). Every file is written
by ``torch.save`` (zip = the default, legacy = ``_use_new_zipfile_serialization=False``), loaded back with
``torch.load`` and described in ``fixtures/fixtures.json``.

Usage (needs the Debian python3-torch, i.e. /usr/bin/python3):
    /usr/bin/python3 tools/make_fixtures.py                  # small fixtures -> fixtures/, fixtures/fixtures.json
    /usr/bin/python3 tools/make_fixtures.py --size wt103     # full WT103 shape -> fixtures/large/ (gitignored)
    /usr/bin/python3 tools/make_fixtures.py --size wt103 --zip   # also the zip variant of the large file

Legacy files are value-deterministic but not byte-reproducible: torch names legacy storages by C pointer strings.
"""
import argparse
import collections
import hashlib
import io
import json
import math
import pickle
import sys
import tempfile
import types
import zipfile
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F

ROOT = Path(__file__).resolve().parent.parent
FIX = ROOT / "fixtures"
LOADED_BY = f"torch {torch.__version__} torch.load(map_location='cpu', weights_only=False)"


# ----------------------------------------------------------------------------------------------------------------
# fastcore.foundation.L stand-in: fastai v2 pickles Optimizer.hypers as an L, so the file names the global
# `fastcore.foundation L`. A module object under that name makes pickle write (and torch.load resolve) that global.
# ----------------------------------------------------------------------------------------------------------------
def install_fastcore_stub():
    if "fastcore.foundation" in sys.modules:
        return sys.modules["fastcore.foundation"].L
    pkg = types.ModuleType("fastcore")
    pkg.__path__ = []
    mod = types.ModuleType("fastcore.foundation")

    class L:
        """Stand-in for fastcore's L: its instance state is {'items': [...]} like the real CollBase."""

        def __init__(self, items=None):
            self.items = list(items or [])

        def __setstate__(self, d):
            self.__dict__.update(d)

    L.__module__ = "fastcore.foundation"
    L.__qualname__ = "L"
    mod.L = L
    pkg.foundation = mod
    sys.modules["fastcore"] = pkg
    sys.modules["fastcore.foundation"] = mod
    return L


# ----------------------------------------------------------------------------------------------------------------
# fastai v2 (fastai/text/models/awdlstm.py, core.py, fastai/layers.py @ 2.7.18)
# ----------------------------------------------------------------------------------------------------------------
class V2:
    class RNNDropout(nn.Module):
        def __init__(self, p=0.5):
            super().__init__()
            self.p = p

    class WeightDropout(nn.Module):
        def __init__(self, module, weight_p, layer_names="weight_hh_l0"):
            super().__init__()
            self.module, self.weight_p, self.layer_names = module, weight_p, [layer_names]
            for layer in self.layer_names:
                w = getattr(self.module, layer)
                delattr(self.module, layer)
                self.register_parameter(f"{layer}_raw", nn.Parameter(w.data))
                setattr(self.module, layer, w.clone())  # a plain tensor attribute: not in state_dict
                if isinstance(self.module, nn.RNNBase):
                    self.module.flatten_parameters = self._do_nothing

        def _do_nothing(self):
            pass

    class EmbeddingDropout(nn.Module):
        def __init__(self, emb, embed_p):
            super().__init__()
            self.emb, self.embed_p = emb, embed_p

    class AWD_LSTM(nn.Module):
        initrange = 0.1

        def __init__(self, vocab_sz, emb_sz, n_hid, n_layers, pad_token=1, hidden_p=0.2, input_p=0.6,
                     embed_p=0.1, weight_p=0.5, bidir=False):
            super().__init__()
            self.emb_sz, self.n_hid, self.n_layers, self.pad_token = emb_sz, n_hid, n_layers, pad_token
            self.bs = 1
            self.n_dir = 2 if bidir else 1
            self.encoder = nn.Embedding(vocab_sz, emb_sz, padding_idx=pad_token)
            self.encoder_dp = V2.EmbeddingDropout(self.encoder, embed_p)
            self.rnns = nn.ModuleList([self._one_rnn(emb_sz if l == 0 else n_hid,
                                                     (n_hid if l != n_layers - 1 else emb_sz) // self.n_dir,
                                                     bidir, weight_p, l) for l in range(n_layers)])
            self.encoder.weight.data.uniform_(-self.initrange, self.initrange)
            self.input_dp = V2.RNNDropout(input_p)
            self.hidden_dps = nn.ModuleList([V2.RNNDropout(hidden_p) for l in range(n_layers)])

        def _one_rnn(self, n_in, n_out, bidir, weight_p, l):
            rnn = nn.LSTM(n_in, n_out, 1, batch_first=True, bidirectional=bidir)
            return V2.WeightDropout(rnn, weight_p)

    class LinearDecoder(nn.Module):
        initrange = 0.1

        def __init__(self, n_out, n_hid, output_p=0.1, tie_encoder=None, bias=True):
            super().__init__()
            self.decoder = nn.Linear(n_hid, n_out, bias=bias)
            self.decoder.weight.data.uniform_(-self.initrange, self.initrange)
            self.output_dp = V2.RNNDropout(output_p)
            if bias:
                self.decoder.bias.data.zero_()
            if tie_encoder:
                self.decoder.weight = tie_encoder.weight

    class SequentialRNN(nn.Sequential):
        pass

    class SentenceEncoder(nn.Module):
        def __init__(self, bptt, module, pad_idx=1, max_len=None):
            super().__init__()
            self.bptt, self.module, self.pad_idx, self.max_len = bptt, module, pad_idx, max_len

    class LinBnDrop(nn.Sequential):
        def __init__(self, n_in, n_out, bn=True, p=0., act=None, lin_first=False):
            layers = [V2.BatchNorm(n_out if lin_first else n_in, ndim=1)] if bn else []
            if p != 0:
                layers.append(nn.Dropout(p))
            lin = [nn.Linear(n_in, n_out, bias=not bn)]
            if act is not None:
                lin.append(act)
            layers = lin + layers if lin_first else layers + lin
            super().__init__(*layers)

    @staticmethod
    def BatchNorm(nf, ndim=2, **kwargs):
        bn = nn.BatchNorm1d(nf, **kwargs)
        bn.bias.data.fill_(1e-3)
        bn.weight.data.fill_(1.)
        return bn

    class PoolingLinearClassifier(nn.Module):
        def __init__(self, dims, ps, bptt, y_range=None):
            super().__init__()
            assert len(ps) == len(dims) - 1
            acts = [nn.ReLU(inplace=True)] * (len(dims) - 2) + [None]
            layers = [V2.LinBnDrop(i, o, p=p, act=a) for i, o, p, a in zip(dims[:-1], dims[1:], ps, acts)]
            self.layers = nn.Sequential(*layers)
            self.bptt = bptt

    @staticmethod
    def get_language_model(vocab_sz, emb_sz, n_hid, n_layers, bidir=False, tie=True, out_bias=True):
        enc = V2.AWD_LSTM(vocab_sz, emb_sz, n_hid, n_layers, bidir=bidir)
        dec = V2.LinearDecoder(vocab_sz, emb_sz, 0.1, tie_encoder=enc.encoder if tie else None, bias=out_bias)
        return V2.SequentialRNN(enc, dec)

    @staticmethod
    def get_text_classifier(vocab_sz, emb_sz, n_hid, n_layers, n_class, lin_ftrs=(50,), ps=(0.1,), output_p=0.2,
                            seq_len=72):
        enc = V2.SentenceEncoder(seq_len, V2.AWD_LSTM(vocab_sz, emb_sz, n_hid, n_layers), pad_idx=1,
                                 max_len=seq_len * 20)
        dims = [emb_sz * 3] + list(lin_ftrs) + [n_class]
        return V2.SequentialRNN(enc, V2.PoolingLinearClassifier(dims, [output_p] + list(ps), bptt=seq_len))


# ----------------------------------------------------------------------------------------------------------------
# fastai v1 (fastai1 fastai/text/models/awd_lstm.py, fastai/layers.py @ 1.0.64.dev0)
# ----------------------------------------------------------------------------------------------------------------
class V1:
    class RNNDropout(nn.Module):
        def __init__(self, p=0.5):
            super().__init__()
            self.p = p

    class WeightDropout(nn.Module):
        def __init__(self, module, weight_p, layer_names=("weight_hh_l0",)):
            super().__init__()
            self.module, self.weight_p, self.layer_names = module, weight_p, list(layer_names)
            self.idxs = [] if hasattr(self.module, "_flat_weights_names") else None
            for layer in self.layer_names:
                w = getattr(self.module, layer)
                self.register_parameter(f"{layer}_raw", nn.Parameter(w.data))
                # training=False returns w itself: module.weight_hh_l0 stays a saved parameter sharing raw's storage
                self.module._parameters[layer] = F.dropout(w, p=self.weight_p, training=False)
                if self.idxs is not None:
                    self.idxs.append(self.module._flat_weights_names.index(layer))
            if isinstance(self.module, nn.RNNBase):
                self.module.flatten_parameters = self._do_nothing

        def _setweights(self):
            for i, layer in enumerate(self.layer_names):
                raw_w = getattr(self, f"{layer}_raw")
                self.module._parameters[layer] = F.dropout(raw_w, p=self.weight_p, training=self.training)
                if self.idxs is not None:
                    self.module._flat_weights[self.idxs[i]] = self.module._parameters[layer]

        def forward(self, *args):
            self._setweights()
            return self.module.forward(*args)

        def reset(self):
            for layer in self.layer_names:
                raw_w = getattr(self, f"{layer}_raw")
                self.module._parameters[layer] = F.dropout(raw_w, p=self.weight_p, training=False)
            if hasattr(self.module, "reset"):
                self.module.reset()

        def _do_nothing(self):
            pass

    class EmbeddingDropout(nn.Module):
        def __init__(self, emb, embed_p):
            super().__init__()
            self.emb, self.embed_p = emb, embed_p
            self.pad_idx = self.emb.padding_idx
            if self.pad_idx is None:
                self.pad_idx = -1

        def forward(self, words):
            return F.embedding(words, self.emb.weight, self.pad_idx)

    class AWD_LSTM(nn.Module):
        initrange = 0.1

        def __init__(self, vocab_sz, emb_sz, n_hid, n_layers, pad_token=1, hidden_p=0.2, input_p=0.6,
                     embed_p=0.1, weight_p=0.5, qrnn=False, bidir=False):
            super().__init__()
            self.bs, self.qrnn, self.emb_sz, self.n_hid, self.n_layers = 1, qrnn, emb_sz, n_hid, n_layers
            self.n_dir = 2 if bidir else 1
            self.encoder = nn.Embedding(vocab_sz, emb_sz, padding_idx=pad_token)
            self.encoder_dp = V1.EmbeddingDropout(self.encoder, embed_p)
            self.rnns = [nn.LSTM(emb_sz if l == 0 else n_hid, (n_hid if l != n_layers - 1 else emb_sz) // self.n_dir,
                                 1, batch_first=True, bidirectional=bidir) for l in range(n_layers)]
            self.rnns = [V1.WeightDropout(rnn, weight_p) for rnn in self.rnns]
            self.rnns = nn.ModuleList(self.rnns)
            self.encoder.weight.data.uniform_(-self.initrange, self.initrange)
            self.input_dp = V1.RNNDropout(input_p)
            self.hidden_dps = nn.ModuleList([V1.RNNDropout(hidden_p) for l in range(n_layers)])

        def forward(self, inp):
            # Only what a training-mode step needs to exercise WeightDropout (input/hidden dropouts omitted).
            out = self.encoder_dp(inp)
            for rnn in self.rnns:
                out, _ = rnn(out)
            return out

        def reset(self):
            for r in self.rnns:
                r.reset()

    class LinearDecoder(nn.Module):
        initrange = 0.1

        def __init__(self, n_out, n_hid, output_p, tie_encoder=None, bias=True):
            super().__init__()
            self.decoder = nn.Linear(n_hid, n_out, bias=bias)
            self.decoder.weight.data.uniform_(-self.initrange, self.initrange)
            self.output_dp = V1.RNNDropout(output_p)
            self.decoder.bias.data.zero_()
            if tie_encoder:
                self.decoder.weight = tie_encoder.weight

        def forward(self, x):
            return self.decoder(x)

    class SequentialRNN(nn.Sequential):
        def reset(self):
            for c in self.children():
                if hasattr(c, "reset"):
                    c.reset()

    class MultiBatchEncoder(nn.Module):
        def __init__(self, bptt, max_len, module, pad_idx=1):
            super().__init__()
            self.max_len, self.bptt, self.module, self.pad_idx = max_len, bptt, module, pad_idx

        def reset(self):
            if hasattr(self.module, "reset"):
                self.module.reset()

    @staticmethod
    def bn_drop_lin(n_in, n_out, bn=True, p=0., actn=None):
        layers = [nn.BatchNorm1d(n_in)] if bn else []
        if p != 0:
            layers.append(nn.Dropout(p))
        layers.append(nn.Linear(n_in, n_out))
        if actn is not None:
            layers.append(actn)
        return layers

    class PoolingLinearClassifier(nn.Module):
        def __init__(self, layers, drops):
            super().__init__()
            mod_layers = []
            assert len(drops) == len(layers) - 1
            activs = [nn.ReLU(inplace=True)] * (len(layers) - 2) + [None]
            for n_in, n_out, p, actn in zip(layers[:-1], layers[1:], drops, activs):
                mod_layers += V1.bn_drop_lin(n_in, n_out, p=p, actn=actn)
            self.layers = nn.Sequential(*mod_layers)

    @staticmethod
    def get_language_model(vocab_sz, emb_sz, n_hid, n_layers, bidir=False, tie=True, out_bias=True, weight_p=0.2):
        enc = V1.AWD_LSTM(vocab_sz, emb_sz, n_hid, n_layers, bidir=bidir, weight_p=weight_p)
        dec = V1.LinearDecoder(vocab_sz, emb_sz, 0.1, tie_encoder=enc.encoder if tie else None, bias=out_bias)
        return V1.SequentialRNN(enc, dec)

    @staticmethod
    def get_text_classifier(vocab_sz, emb_sz, n_hid, n_layers, n_class, lin_ftrs=(50,), ps=(0.1,), output_p=0.2,
                            bptt=70):
        enc = V1.MultiBatchEncoder(bptt, 20 * bptt, V1.AWD_LSTM(vocab_sz, emb_sz, n_hid, n_layers), pad_idx=1)
        layers = [emb_sz * 3] + list(lin_ftrs) + [n_class]
        return V1.SequentialRNN(enc, V1.PoolingLinearClassifier(layers, [output_p] + list(ps)))

    @staticmethod
    def model2half(model):
        """fastai1 torch_core.model2half: bn2float(model.half())."""
        model = model.half()

        def bn2float(module):
            if isinstance(module, nn.modules.batchnorm._BatchNorm):
                module.float()
            for child in module.children():
                bn2float(child)
            return module

        return bn2float(model)


# ----------------------------------------------------------------------------------------------------------------
# fastai v0.7 (old/fastai/lm_rnn.py, rnn_reg.py)
# ----------------------------------------------------------------------------------------------------------------
class V07:
    class LockedDropout(nn.Module):
        def __init__(self, p=0.5):
            super().__init__()
            self.p = p

    class EmbeddingDropout(nn.Module):
        def __init__(self, embed):
            super().__init__()
            self.embed = embed

    class WeightDrop(nn.Module):
        def __init__(self, module, dropout, weights=("weight_hh_l0",)):
            super().__init__()
            self.module, self.weights, self.dropout = module, list(weights), dropout
            self._setup()

        def _setup(self):
            if isinstance(self.module, nn.RNNBase):
                self.module.flatten_parameters = lambda *a, **k: None
            for name_w in self.weights:
                w = getattr(self.module, name_w)
                del self.module._parameters[name_w]
                self.module.register_parameter(name_w + "_raw", nn.Parameter(w.data))

        def _setweights(self):
            # Under PyTorch >= 0.4 F.dropout(training=False) returns the Parameter, so setattr registers
            # `weight_hh_l0` as a second parameter of the LSTM (after `_raw`): files then carry module.weight_hh_l0.
            for name_w in self.weights:
                raw_w = getattr(self.module, name_w + "_raw")
                w = F.dropout(raw_w, p=self.dropout, training=self.training)
                setattr(self.module, name_w, w)

    class RNN_Encoder(nn.Module):
        initrange = 0.1

        def __init__(self, ntoken, emb_sz, n_hid, n_layers, pad_token, bidir=False, dropouth=0.3, dropouti=0.65,
                     dropoute=0.1, wdrop=0.5, qrnn=False):
            super().__init__()
            self.ndir = 2 if bidir else 1
            self.bs, self.qrnn = 1, qrnn
            self.encoder = nn.Embedding(ntoken, emb_sz, padding_idx=pad_token)
            self.encoder_with_dropout = V07.EmbeddingDropout(self.encoder)
            self.rnns = [nn.LSTM(emb_sz if l == 0 else n_hid, (n_hid if l != n_layers - 1 else emb_sz) // self.ndir,
                                 1, bidirectional=bidir) for l in range(n_layers)]
            if wdrop:
                self.rnns = [V07.WeightDrop(rnn, wdrop) for rnn in self.rnns]
            self.rnns = nn.ModuleList(self.rnns)
            self.encoder.weight.data.uniform_(-self.initrange, self.initrange)
            self.emb_sz, self.n_hid, self.n_layers, self.dropoute = emb_sz, n_hid, n_layers, dropoute
            self.dropouti = V07.LockedDropout(dropouti)
            self.dropouths = nn.ModuleList([V07.LockedDropout(dropouth) for l in range(n_layers)])

    class LinearDecoder(nn.Module):
        initrange = 0.1

        def __init__(self, n_out, n_hid, dropout, tie_encoder=None, bias=False):
            super().__init__()
            self.decoder = nn.Linear(n_hid, n_out, bias=bias)
            self.decoder.weight.data.uniform_(-self.initrange, self.initrange)
            self.dropout = V07.LockedDropout(dropout)
            if tie_encoder:
                self.decoder.weight = tie_encoder.weight

    class SequentialRNN(nn.Sequential):
        pass

    @staticmethod
    def get_language_model(n_tok, emb_sz, n_hid, n_layers, pad_token=1, tie_weights=True, bias=False):
        rnn_enc = V07.RNN_Encoder(n_tok, emb_sz, n_hid, n_layers, pad_token)
        enc = rnn_enc.encoder if tie_weights else None
        return V07.SequentialRNN(rnn_enc, V07.LinearDecoder(n_tok, emb_sz, 0.4, tie_encoder=enc, bias=bias))


# ----------------------------------------------------------------------------------------------------------------
# helpers: values, sharing, describing
# ----------------------------------------------------------------------------------------------------------------
SMALL = dict(vocab=60, emb_sz=10, n_hid=14, n_layers=3)
CLAS_HEAD = dict(lin_ftrs=[12], n_class=3)


def randomize_biases(model, scale=0.1):
    """fastai zeroes the decoder bias at init; a trained file has non-zero ones."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.Linear) and m.bias is not None:
                m.bias.normal_(0, scale)


def train_batchnorm(model, n_steps=3, bs=8):
    """A few train-mode passes through every BatchNorm so running stats and num_batches_tracked are non-trivial."""
    bns = [m for m in model.modules() if isinstance(m, nn.BatchNorm1d)]
    with torch.no_grad():
        for bn in bns:
            bn.weight.normal_(1.0, 0.1)
            bn.bias.normal_(0.0, 0.1)
            bn.train()
            for _ in range(n_steps):
                x = torch.randn(bs, bn.num_features, dtype=bn.weight.dtype) * 2.0 + 0.5
                bn(x)
            bn.eval()


def round_through_half(model):
    """Make every float parameter exactly fp16-representable, in place (keeps storage sharing)."""
    with torch.no_grad():
        for t in list(model.parameters()) + [m._parameters[n] for m in model.modules() for n in m._parameters
                                             if m._parameters[n] is not None]:
            if t.is_floating_point():
                t.copy_(t.half().float())


def flatten_lstm_like_cudnn(wd):
    """Put one v1 WeightDropout's LSTM tensors into one flat buffer, in cuDNN order (weight_ih, weight_hh, bias_ih,
    bias_hh), as flatten_parameters does on the GPU. module.weight_hh_l0 and weight_hh_l0_raw are the same tensor."""
    lstm = wd.module
    assert lstm._parameters["weight_hh_l0"] is not None
    wd.reset()  # module.weight_hh_l0 is now the raw Parameter object itself
    names = ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"]
    params = [lstm._parameters[n] for n in names]
    total = sum(p.numel() for p in params)
    flat = torch.empty(total, dtype=params[0].dtype)
    offsets = []
    off = 0
    with torch.no_grad():
        for p in params:
            flat[off:off + p.numel()].copy_(p.reshape(-1))
            offsets.append(off)
            off += p.numel()
        for p, o in zip(params, offsets):
            p.set_(flat.storage(), o, p.shape, p.stride())
    return offsets


def tensor_first(t, n=4):
    flat = t.detach().reshape(-1)[:n]
    if t.dtype == torch.bool:
        return [bool(v) for v in flat.tolist()]
    if t.dtype.is_complex:
        return [[float(v.real), float(v.imag)] for v in flat.tolist()]
    if t.dtype.is_floating_point:
        return [float(v) for v in flat.float().tolist()]
    return [int(v) for v in flat.tolist()]


def tensor_sha256(t):
    c = t.detach().contiguous()
    if c.dtype == torch.bfloat16:
        c = c.view(torch.int16)
    return hashlib.sha256(c.numpy().tobytes()).hexdigest()


class Describer:
    """Builds the EXPECTED.json-style tree; storage_group numbers storages in first-encounter order."""

    def __init__(self):
        self.groups = {}

    def group(self, t):
        ptr = t.storage().data_ptr()
        if ptr == 0:  # an empty storage has no data pointer: give it its own group
            key = ("empty", len(self.groups))
        else:
            key = ptr
        return self.groups.setdefault(key, len(self.groups))

    def tensor(self, t):
        return {"dtype": str(t.dtype).replace("torch.", ""), "shape": list(t.shape), "stride": list(t.stride()),
                "storage_offset": t.storage_offset(), "storage_group": self.group(t),
                "sha256": tensor_sha256(t), "first": tensor_first(t)}

    def __call__(self, v):
        if isinstance(v, torch.Tensor):
            return {"tensor": self.tensor(v)}
        if isinstance(v, dict):
            return {"dict": [[k, self(x)] for k, x in v.items()]}
        if isinstance(v, list):
            return {"list": [self(x) for x in v]}
        if isinstance(v, tuple):
            return {"tuple": [self(x) for x in v]}
        if v is None or isinstance(v, (bool, int, str)):
            return v
        if isinstance(v, float):
            if math.isfinite(v):
                return v
            return {"float": repr(v)}
        cls = type(v)
        return {"object": {"class": f"{cls.__module__}.{cls.__qualname__}", "state": self(dict(vars(v)))}}


def flatten_tensors(v, prefix=""):
    """Dotted path -> tensor, for checks (dict keys, list/tuple indices, object attributes)."""
    out = collections.OrderedDict()
    if isinstance(v, torch.Tensor):
        out[prefix] = v
    elif isinstance(v, dict):
        for k, x in v.items():
            out.update(flatten_tensors(x, f"{prefix}.{k}" if prefix else str(k)))
    elif isinstance(v, (list, tuple)):
        for i, x in enumerate(v):
            out.update(flatten_tensors(x, f"{prefix}.{i}" if prefix else str(i)))
    elif hasattr(v, "__dict__") and not isinstance(v, type):
        out.update(flatten_tensors(dict(vars(v)), prefix))
    return out


def same_storage(a, b):
    return a.storage().data_ptr() == b.storage().data_ptr()


def save(obj, path, fmt, location=None):
    """torch.save; `location` (e.g. 'cuda:0') overrides the storage location tag written into the persistent ids,
    through torch's own register_package hook, as a file saved from a GPU model carries it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    entry = None
    if location:
        entry = (-1, lambda storage: location, lambda storage, loc: None)
        torch.serialization._package_registry.insert(0, entry)
    try:
        if fmt == "zip":
            torch.save(obj, path)
        else:
            torch.save(obj, path, _use_new_zipfile_serialization=False)
    finally:
        if entry:
            torch.serialization._package_registry.remove(entry)


def assert_roundtrip(orig, loaded, path):
    """Values equal and storage sharing identical between what was saved and what torch.load returns."""
    a, b = flatten_tensors(orig), flatten_tensors(loaded)
    assert list(a) == list(b), f"{path}: key mismatch"
    for k in a:
        assert a[k].dtype == b[k].dtype and a[k].shape == b[k].shape, f"{path}: {k} dtype/shape"
        assert a[k].stride() == b[k].stride() and a[k].storage_offset() == b[k].storage_offset(), f"{path}: {k} view"
        assert torch.equal(a[k].detach(), b[k]), f"{path}: {k} values"
    keys = list(a)
    for i in range(len(keys)):
        for j in range(i + 1, len(keys)):
            sa = same_storage(a[keys[i]], a[keys[j]]) and a[keys[i]].storage().data_ptr() != 0
            sb = same_storage(b[keys[i]], b[keys[j]]) and b[keys[i]].storage().data_ptr() != 0
            assert sa == sb, f"{path}: sharing of {keys[i]} / {keys[j]} changed ({sa} -> {sb})"


# ----------------------------------------------------------------------------------------------------------------
# fixture builders: each returns (object to save, layout name, config dict, extra dict, check(loaded))
# ----------------------------------------------------------------------------------------------------------------
def lm_config(vocab, emb_sz, n_hid, n_layers, bidir=False, tied=True, out_bias=True, **extra):
    c = dict(vocab=vocab, emb_sz=emb_sz, n_hid=n_hid, n_layers=n_layers, bidir=bidir, tied=tied,
             out_bias=out_bias, pad_token=1)
    c.update(extra)
    return c


def check_keys(expected):
    def chk(sd):
        got = list(sd.keys())
        assert got == expected, f"keys {got} != {expected}"
    return chk


def v2_lm_keys(n_layers, prefix="0.", bidir=False, decoder=True, out_bias=True):
    ks = [f"{prefix}encoder.weight", f"{prefix}encoder_dp.emb.weight"]
    for l in range(n_layers):
        ks += [f"{prefix}rnns.{l}.weight_hh_l0_raw", f"{prefix}rnns.{l}.module.weight_ih_l0",
               f"{prefix}rnns.{l}.module.bias_ih_l0", f"{prefix}rnns.{l}.module.bias_hh_l0"]
        if bidir:
            ks += [f"{prefix}rnns.{l}.module.weight_ih_l0_reverse", f"{prefix}rnns.{l}.module.weight_hh_l0_reverse",
                   f"{prefix}rnns.{l}.module.bias_ih_l0_reverse", f"{prefix}rnns.{l}.module.bias_hh_l0_reverse"]
    if decoder:
        ks += ["1.decoder.weight"] + (["1.decoder.bias"] if out_bias else [])
    return ks


def v1_lm_keys(n_layers, prefix="0.", decoder=True):
    ks = [f"{prefix}encoder.weight", f"{prefix}encoder_dp.emb.weight"]
    for l in range(n_layers):
        ks += [f"{prefix}rnns.{l}.weight_hh_l0_raw", f"{prefix}rnns.{l}.module.weight_ih_l0",
               f"{prefix}rnns.{l}.module.weight_hh_l0", f"{prefix}rnns.{l}.module.bias_ih_l0",
               f"{prefix}rnns.{l}.module.bias_hh_l0"]
    if decoder:
        ks += ["1.decoder.weight", "1.decoder.bias"]
    return ks


def v07_lm_keys(n_layers, extra_hh=False):
    ks = ["0.encoder.weight", "0.encoder_with_dropout.embed.weight"]
    for l in range(n_layers):
        ks += [f"0.rnns.{l}.module.weight_ih_l0", f"0.rnns.{l}.module.bias_ih_l0", f"0.rnns.{l}.module.bias_hh_l0",
               f"0.rnns.{l}.module.weight_hh_l0_raw"] + ([f"0.rnns.{l}.module.weight_hh_l0"] if extra_hh else [])
    return ks + ["1.decoder.weight"]


def assert_tied_one_storage(sd, names):
    t0 = sd[names[0]]
    for n in names[1:]:
        assert same_storage(t0, sd[n]) and sd[n].storage_offset() == t0.storage_offset(), f"{n} not shared"


def assert_all_dtype(sd, dtype):
    for k, t in sd.items():
        assert t.dtype == dtype, f"{k}: {t.dtype}"


def assert_separate_equal(sd, names):
    t0 = sd[names[0]]
    for n in names[1:]:
        assert not same_storage(t0, sd[n]), f"{n} unexpectedly shares storage"
        assert torch.equal(t0, sd[n]), f"{n} differs"


def v2_lm(seed=1, bidir=False, **cfg):
    torch.manual_seed(seed)
    c = dict(SMALL, **cfg)
    m = V2.get_language_model(c["vocab"], c["emb_sz"], c["n_hid"], c["n_layers"], bidir=bidir)
    randomize_biases(m)
    return m.eval(), lm_config(c["vocab"], c["emb_sz"], c["n_hid"], c["n_layers"], bidir=bidir)


def v1_lm(seed=2, weight_p=0.2, **cfg):
    torch.manual_seed(seed)
    c = dict(SMALL, **cfg)
    m = V1.get_language_model(c["vocab"], c["emb_sz"], c["n_hid"], c["n_layers"], weight_p=weight_p)
    randomize_biases(m)
    return m.eval(), lm_config(c["vocab"], c["emb_sz"], c["n_hid"], c["n_layers"])


def fixtures_small():
    L = install_fastcore_stub()
    n = SMALL["n_layers"]
    tied2 = ["0.encoder.weight", "0.encoder_dp.emb.weight", "1.decoder.weight"]
    out = []

    def add(name, obj, layout, config, check=None, extra=None, formats=("zip", "legacy"), ext=".pth",
            container="bare"):
        out.append(dict(name=name, obj=obj, layout=layout, config=config, check=check, extra=extra or {},
                        formats=formats, ext=ext, container=container))

    # --- v2 LM, direct state_dict: the three embedding names are one storage
    m, cfg = v2_lm(seed=11)
    sd = m.state_dict()

    def chk_v2(sd, keys=v2_lm_keys(n)):
        check_keys(keys)(sd)
        assert_tied_one_storage(sd, tied2)
    add("fastai_v2_lm", sd, "fastai-v2-lm", cfg, chk_v2,
        extra=dict(notes="direct model.state_dict(): 0.encoder.weight, 0.encoder_dp.emb.weight and 1.decoder.weight "
                         "share one storage; no module.weight_hh_l0 (v2 WeightDropout keeps it as a plain attribute)"))

    # v2 learn.save(with_opt=True): {'model': sd, 'opt': {'state': [...], 'hypers': L([...])}}
    torch.manual_seed(12)
    groups = [list(r.parameters()) for r in m[0].rnns] + [[m[0].encoder.weight, m[1].decoder.bias]]
    state = []
    for g in groups:
        for p in g:
            grad = torch.randn_like(p) * 0.01
            st = {"grad_avg": grad * 0.1, "sqr_avg": grad * grad * 0.01, "step": 1}
            if p.dim() == 1:
                st["do_wd"] = False
            state.append(st)
    hypers = L([{"wd": 0.01, "sqr_mom": 0.99, "lr": 0.002, "mom": 0.9, "eps": 1e-05} for _ in groups])
    add("fastai_v2_lm_with_opt", {"model": sd, "opt": {"state": state, "hypers": hypers}}, "fastai-v2-lm", cfg,
        lambda d: chk_v2(d["model"]), container="model+opt",
        extra=dict(notes="v2 save_model(with_opt=True); opt = fastai Optimizer.state_dict(): 'hypers' is a "
                         "fastcore.foundation.L (pickled as GLOBAL 'fastcore.foundation L' + NEWOBJ + BUILD "
                         "{'items': [...]}); a reader must skip the 'opt' subtree",
                   opt_global="fastcore.foundation L"))

    # v2 encoder (save_encoder): AWD_LSTM.state_dict(), no '0.' prefix
    add("fastai_v2_encoder", m[0].state_dict(), "fastai-v2-encoder", dict(cfg, tied=None, out_bias=None),
        lambda sd: (check_keys(v2_lm_keys(n, prefix="", decoder=False))(sd),
                    assert_tied_one_storage(sd, ["encoder.weight", "encoder_dp.emb.weight"])),
        extra=dict(notes="learn.save_encoder: the AWD_LSTM module's state_dict; no decoder"))

    # v2 LM, tied via clones (what match_embeds writes): equal values, separate storages
    sdc = m.state_dict()
    sdc["0.encoder_dp.emb.weight"] = sdc["0.encoder.weight"].clone()
    sdc["1.decoder.weight"] = sdc["0.encoder.weight"].clone()
    add("fastai_v2_lm_cloned_tied", sdc, "fastai-v2-lm", dict(cfg, tied_storage="clones"),
        lambda sd: (check_keys(v2_lm_keys(n))(sd), assert_separate_equal(sd, tied2)),
        extra=dict(notes="as match_embeds writes: encoder_dp.emb.weight and decoder.weight are .clone()s of "
                         "encoder.weight: equal values, three separate storages"))

    # negative: alias differs from the embedding in exactly 3 elements
    sdn = m.state_dict()
    alias = sdn["0.encoder.weight"].clone()
    flat_idx = [5, 17 * cfg["emb_sz"] + 3, (cfg["vocab"] - 1) * cfg["emb_sz"] + cfg["emb_sz"] - 1]
    deltas = [0.25, -0.5, 0.125]
    af = alias.view(-1)
    for i, d in zip(flat_idx, deltas):
        af[i] += d
    sdn["0.encoder_dp.emb.weight"] = alias
    diff = (alias - sdn["0.encoder.weight"]).abs()
    ndiff = int((diff != 0).sum())
    assert ndiff == 3
    add("fastai_v2_lm_alias_mismatch", sdn, "fastai-v2-lm", dict(cfg, tied_storage="alias-differs"),
        lambda sd: check_keys(v2_lm_keys(n))(sd),
        extra=dict(negative=True,
                   notes="NEGATIVE: 0.encoder_dp.emb.weight is a copy of 0.encoder.weight with 3 elements changed; "
                         "1.decoder.weight still shares 0.encoder.weight's storage",
                   alias_mismatch=dict(key="0.encoder_dp.emb.weight", against="0.encoder.weight",
                                       differing_count=ndiff, max_abs_diff=float(diff.max()),
                                       first_differing_flat_index=flat_idx[0], differing_flat_indices=flat_idx,
                                       differing_positions=[[i // cfg["emb_sz"], i % cfg["emb_sz"]]
                                                            for i in flat_idx])))

    # v2 bidirectional LM
    mb, cfgb = v2_lm(seed=13, bidir=True)
    add("fastai_v2_lm_bidir", mb.state_dict(), "fastai-v2-lm", cfgb,
        lambda sd: (check_keys(v2_lm_keys(n, bidir=True))(sd), assert_tied_one_storage(sd, tied2)),
        extra=dict(notes="bidir=True: per-direction hidden = (n_hid or emb_sz) // 2; *_reverse parameters are "
                         "ordinary (weight_hh_l0_reverse has no _raw)"))

    # v2 classifier: encoder under 0.module., head 1.layers.K.{0 BN, 1 Dropout, 2 Linear(no bias), 3 ReLU}
    torch.manual_seed(14)
    c2 = V2.get_text_classifier(SMALL["vocab"], SMALL["emb_sz"], SMALL["n_hid"], n, CLAS_HEAD["n_class"],
                                lin_ftrs=CLAS_HEAD["lin_ftrs"])
    train_batchnorm(c2)
    c2.eval()
    head_v2 = []
    for k in range(2):
        head_v2 += [f"1.layers.{k}.0.{s}" for s in ("weight", "bias", "running_mean", "running_var",
                                                   "num_batches_tracked")] + [f"1.layers.{k}.2.weight"]
    clas_cfg = dict(lm_config(SMALL["vocab"], SMALL["emb_sz"], SMALL["n_hid"], n, tied=None, out_bias=None),
                    head_dims=[SMALL["emb_sz"] * 3] + CLAS_HEAD["lin_ftrs"] + [CLAS_HEAD["n_class"]],
                    head_ps=[0.2, 0.1], head_linear_bias=False, bn_num_batches_tracked=3)
    add("fastai_v2_classifier", c2.state_dict(), "fastai-v2-classifier", clas_cfg,
        check_keys(v2_lm_keys(n, prefix="0.module.", decoder=False) + head_v2),
        extra=dict(notes="get_text_classifier: SentenceEncoder(module=AWD_LSTM) + PoolingLinearClassifier of "
                         "LinBnDrop blocks (BatchNorm1d, Dropout, Linear without bias, ReLU on all but last)"))

    # --- v1 LM (19-key style for 3 layers): module.weight_hh_l0 is the raw tensor (same storage)
    m1, cfg1 = v1_lm(seed=21)
    sd1 = m1.state_dict()

    def chk_v1(sd, prefix="0.", decoder=True, extra_keys=()):
        check_keys(v1_lm_keys(n, prefix=prefix, decoder=decoder) + list(extra_keys))(sd)
        for l in range(n):
            raw, hh = sd[f"{prefix}rnns.{l}.weight_hh_l0_raw"], sd[f"{prefix}rnns.{l}.module.weight_hh_l0"]
            assert same_storage(raw, hh) and torch.equal(raw, hh)
    add("fastai_v1_lm", sd1, "fastai-v1-lm", cfg1,
        lambda sd: (chk_v1(sd), assert_tied_one_storage(sd, tied2)),
        extra=dict(notes="v1 WeightDropout keeps module.weight_hh_l0 = F.dropout(w, training=False) = the same "
                         "storage as weight_hh_l0_raw; tied embedding names share one storage"))

    # v1 learn.save(with_opt=True): opt = a plain torch optimizer state_dict (Adam betas (0.9, 0.99), one step)
    m1o, _ = v1_lm(seed=21)
    opt = torch.optim.Adam(m1o.parameters(), lr=1e-3, betas=(0.9, 0.99))
    m1o.train()
    x = torch.randint(0, SMALL["vocab"], (2, 5))
    loss = m1o(x).float().pow(2).mean()
    loss.backward()
    opt.step()
    m1o.eval()
    m1o[0].reset()
    sd1o = m1o.state_dict()
    add("fastai_v1_lm_with_opt", {"model": sd1o, "opt": opt.state_dict()}, "fastai-v1-lm", cfg1,
        lambda d: chk_v1(d["model"]), container="model+opt",
        extra=dict(notes="v1 Learner.save(with_opt=True): opt is torch.optim.Adam.state_dict() after one step "
                         "(tensor 'step', exp_avg, exp_avg_sq; param_groups)"))

    # the same v1 LM saved from "GPU" storages: persistent ids say 'cuda:0' (as the WT103 file very probably does)
    out.append(dict(name="fastai_v1_lm_cuda_location", obj=sd1, layout="fastai-v1-lm", config=cfg1,
                    check=lambda sd: (chk_v1(sd), assert_tied_one_storage(sd, tied2)), formats=("zip", "legacy"),
                    ext=".pth", container="bare", location="cuda:0",
                    extra=dict(notes="fastai_v1_lm's state dict, every storage tagged location 'cuda:0' (torch.save "
                                     "with a location tagger registered through torch.serialization's package "
                                     "registry); torch.load needs map_location='cpu' on a machine without CUDA")))

    # v1 encoder
    add("fastai_v1_encoder", m1[0].state_dict(), "fastai-v1-encoder", dict(cfg1, tied=None, out_bias=None),
        lambda sd: chk_v1(sd, prefix="", decoder=False),
        extra=dict(notes="v1 save_encoder: still includes rnns.N.module.weight_hh_l0"))

    # v1 LM tied via clones (convert_weights style), module.weight_hh_l0 also a separate copy
    sd1c = m1.state_dict()
    sd1c["0.encoder_dp.emb.weight"] = sd1c["0.encoder.weight"].clone()
    sd1c["1.decoder.weight"] = sd1c["0.encoder.weight"].clone()
    for l in range(n):
        sd1c[f"0.rnns.{l}.module.weight_hh_l0"] = sd1c[f"0.rnns.{l}.weight_hh_l0_raw"].clone()
    add("fastai_v1_lm_cloned_tied", sd1c, "fastai-v1-lm", dict(cfg1, tied_storage="clones"),
        lambda sd: (check_keys(v1_lm_keys(n))(sd), assert_separate_equal(sd, tied2),
                    [assert_separate_equal(sd, [f"0.rnns.{l}.weight_hh_l0_raw", f"0.rnns.{l}.module.weight_hh_l0"])
                     for l in range(n)]),
        extra=dict(notes="as convert_weights writes: embedding alias and decoder weight are clones; "
                         "module.weight_hh_l0 is a clone of _raw: equal values, separate storages"))

    # v1 LM after a training-mode forward: module.weight_hh_l0 is dropout-masked
    p_mask = 0.3
    m1m, _ = v1_lm(seed=22, weight_p=p_mask)
    m1m.train()
    torch.manual_seed(23)
    with torch.no_grad():
        m1m[0](torch.randint(0, SMALL["vocab"], (2, 5)))
    sd1m = m1m.state_dict()
    scale = 1.0 / (1.0 - p_mask)
    masked_info = []
    for l in range(n):
        raw, hh = sd1m[f"0.rnns.{l}.weight_hh_l0_raw"], sd1m[f"0.rnns.{l}.module.weight_hh_l0"]
        nz = hh != 0
        assert not same_storage(raw, hh)
        assert torch.equal(hh[nz], raw[nz] * scale)
        masked_info.append(dict(layer=l, zeros=int((~nz).sum()), numel=hh.numel()))
    add("fastai_v1_lm_masked_hh", sd1m, "fastai-v1-lm", dict(cfg1, weight_p=p_mask, hh_masked=True),
        lambda sd: check_keys(v1_lm_keys(n))(sd),
        extra=dict(notes="saved right after a training-mode forward: module.weight_hh_l0 = F.dropout(raw, p, "
                         "training=True): every element is 0 or raw * float32(1/(1-p)) (computed in float32; "
                         "raw/(1-p) in double may differ by 1 ulp); readers must use weight_hh_l0_raw",
                   dropout_p=p_mask, masked_layers=masked_info))

    # v1 LM with cuDNN-style flat buffers: per layer one storage, tensors at storage offsets
    m1f, _ = v1_lm(seed=24)
    layer_offsets = [flatten_lstm_like_cudnn(wd) for wd in m1f[0].rnns]
    sd1f = m1f.state_dict()

    def chk_flat(sd):
        chk_v1(sd)
        assert_tied_one_storage(sd, tied2)
        for l in range(n):
            names = [f"0.rnns.{l}.{s}" for s in ("weight_hh_l0_raw", "module.weight_ih_l0", "module.weight_hh_l0",
                                                 "module.bias_ih_l0", "module.bias_hh_l0")]
            for nm in names[1:]:
                assert same_storage(sd[names[0]], sd[nm])
            assert sd[names[0]].storage_offset() > 0
    add("fastai_v1_lm_flat_views", sd1f, "fastai-v1-lm", dict(cfg1, lstm_storage="flat-per-layer"), chk_flat,
        extra=dict(notes="each layer's weight_ih, weight_hh (= _raw = module.weight_hh_l0), bias_ih, bias_hh are "
                         "views of ONE flat storage (cuDNN flatten_parameters order) at offsets "
                         "[weight_ih, weight_hh, bias_ih, bias_hh] per layer",
                   flat_offsets=layer_offsets))

    # v1 fp16 LM: model2half (model.half(); no BatchNorm in an LM), saved after reset()
    m1h, _ = v1_lm(seed=25)
    V1.model2half(m1h)
    m1h[0].reset()
    add("fastai_v1_lm_fp16", m1h.state_dict(), "fastai-v1-lm", dict(cfg1, dtype="float16"),
        lambda sd: (chk_v1(sd), assert_tied_one_storage(sd, tied2), assert_all_dtype(sd, torch.float16)),
        extra=dict(notes="fastai1 to_fp16 model2half: every parameter float16"))

    # v1 classifier: encoder under 0.module., head 1.layers.{0 BN,1 Drop,2 Lin,3 ReLU,4 BN,5 Drop,6 Lin}
    torch.manual_seed(26)
    c1 = V1.get_text_classifier(SMALL["vocab"], SMALL["emb_sz"], SMALL["n_hid"], n, CLAS_HEAD["n_class"],
                                lin_ftrs=CLAS_HEAD["lin_ftrs"])
    randomize_biases(c1)
    train_batchnorm(c1)
    c1.eval()
    bn_keys = ("weight", "bias", "running_mean", "running_var", "num_batches_tracked")
    head_v1 = ([f"1.layers.0.{s}" for s in bn_keys] + ["1.layers.2.weight", "1.layers.2.bias"] +
               [f"1.layers.4.{s}" for s in bn_keys] + ["1.layers.6.weight", "1.layers.6.bias"])
    clas1_cfg = dict(clas_cfg, head_linear_bias=True)
    add("fastai_v1_classifier", c1.state_dict(), "fastai-v1-classifier", clas1_cfg,
        lambda sd: chk_v1(sd, prefix="0.module.", decoder=False, extra_keys=head_v1),
        extra=dict(notes="v1 >= 1.0.43: MultiBatchEncoder(module=AWD_LSTM) + PoolingLinearClassifier of "
                         "bn_drop_lin (BatchNorm1d, Dropout, Linear with bias, ReLU)"))

    # v1 fp16 classifier: model.half() then BatchNorm back to float32
    torch.manual_seed(26)
    c1h = V1.get_text_classifier(SMALL["vocab"], SMALL["emb_sz"], SMALL["n_hid"], n, CLAS_HEAD["n_class"],
                                 lin_ftrs=CLAS_HEAD["lin_ftrs"])
    randomize_biases(c1h)
    train_batchnorm(c1h)
    c1h.eval()
    V1.model2half(c1h)
    c1h.reset()

    def chk_c1h(sd):
        chk_v1(sd, prefix="0.module.", decoder=False, extra_keys=head_v1)
        for k, t in sd.items():
            want = (torch.int64 if k.endswith("num_batches_tracked") else
                    torch.float32 if k.startswith(("1.layers.0.", "1.layers.4.")) else torch.float16)
            assert t.dtype == want, f"{k}: {t.dtype}"
    add("fastai_v1_classifier_fp16", c1h.state_dict(), "fastai-v1-classifier", dict(clas1_cfg, dtype="float16",
                                                                                    bn_dtype="float32"), chk_c1h,
        extra=dict(notes="model2half: weights float16, BatchNorm (weight, bias, running stats) float32, "
                         "num_batches_tracked int64"))

    # --- v0.7 LM: no decoder bias; WeightDrop registers weight_hh_l0_raw on the LSTM (last)
    torch.manual_seed(31)
    m07 = V07.get_language_model(SMALL["vocab"], SMALL["emb_sz"], SMALL["n_hid"], n)
    m07.eval()
    cfg07 = lm_config(SMALL["vocab"], SMALL["emb_sz"], SMALL["n_hid"], n, out_bias=False)
    tied07 = ["0.encoder.weight", "0.encoder_with_dropout.embed.weight", "1.decoder.weight"]
    add("fastai_v07_lm", m07.state_dict(), "fastai-v0.7-lm", cfg07,
        lambda sd: (check_keys(v07_lm_keys(n))(sd), assert_tied_one_storage(sd, tied07)), ext=".h5",
        extra=dict(notes="old/fastai get_language_model: sequence-first LSTMs, rnns.N.module.weight_hh_l0_raw last "
                         "in each LSTM, 1.decoder.weight tied, no 1.decoder.bias; '.h5' is a torch pickle "
                         "(Learner.get_model_path)"))
    # ... and after _setweights under newer PyTorch: extra module.weight_hh_l0 (same tensor as _raw), last
    for r in m07[0].rnns:
        r._setweights()
    add("fastai_v07_lm_with_hh", m07.state_dict(), "fastai-v0.7-lm", dict(cfg07, extra_weight_hh=True),
        lambda sd: (check_keys(v07_lm_keys(n, extra_hh=True))(sd), assert_tied_one_storage(sd, tied07),
                    [assert_tied_one_storage(sd, [f"0.rnns.{l}.module.weight_hh_l0_raw",
                                                  f"0.rnns.{l}.module.weight_hh_l0"]) for l in range(n)]),
        ext=".h5",
        extra=dict(notes="v0.7 WeightDrop._setweights under PyTorch >= 0.4 registers module.weight_hh_l0 (the _raw "
                         "Parameter itself) after _raw: same storage, to be dropped"))

    # --- WT103-shaped mini: exact v1 lstm_fwd.pth layout, fp16-representable values, legacy
    out += wt103_entries(vocab=200, emb_sz=20, n_hid=36, seed=41, name="wt103_mini_fwd", legacy_plain_name=True)

    # --- non-fastai cases
    out += torch_entries()
    return out


def make_itos(n):
    specials = ["xxunk", "xxpad", "xxbos", "xxeos", "xxfld", "xxmaj", "xxup", "xxrep", "xxwrep", "the"]
    common = [".", ",", "of", "and", "in", "to", "a", "=", "was", "'s", "on", "as", "for", "that", "with", "by",
              "is", "his", "at", "he", "it", "from", "were", "an", "had", "which", "be", "this", "but", "are",
              "first", "not", "their", "after", "one", "her", "also", "its", "they", "two", "has", "have", "who",
              "new", "been", "or", "(", ")", "\"", "café", "naïve", "東京", "–", "@-@", "@,@", "@.@"]
    words = specials + common
    i = 0
    while len(words) < n:
        words.append(f"word{i}")
        i += 1
    return words[:n]


def wt103_entries(vocab, emb_sz, n_hid, seed, name, legacy_plain_name=False, formats=("legacy", "zip"),
                  flat=False, separate_hh=False, location=None):
    """v1 LM in the layout of WT103_FWD lstm_fwd.pth: 19 keys, tied (one storage for the 3 embedding names),
    module.weight_hh_l0 sharing _raw's storage, decoder bias, fp16-representable float32 values."""
    n = 3
    torch.manual_seed(seed)
    m = V1.get_language_model(vocab, emb_sz, n_hid, n, weight_p=0.2)
    randomize_biases(m)
    m.eval()
    m[0].reset()
    round_through_half(m)
    offsets = None
    if flat:
        offsets = [flatten_lstm_like_cudnn(wd) for wd in m[0].rnns]
    sd = m.state_dict()
    if separate_hh:
        for l in range(n):
            sd[f"0.rnns.{l}.module.weight_hh_l0"] = sd[f"0.rnns.{l}.weight_hh_l0_raw"].clone()
    tied = ["0.encoder.weight", "0.encoder_dp.emb.weight", "1.decoder.weight"]

    def chk(sd):
        check_keys(v1_lm_keys(n))(sd)
        assert len(sd) == 19
        assert_tied_one_storage(sd, tied)
        for l in range(n):
            raw, hh = sd[f"0.rnns.{l}.weight_hh_l0_raw"], sd[f"0.rnns.{l}.module.weight_hh_l0"]
            assert torch.equal(raw, hh) and same_storage(raw, hh) != separate_hh
        for k, t in sd.items():
            assert t.dtype == torch.float32 and torch.equal(t, t.half().float()), k
    cfg = dict(lm_config(vocab, emb_sz, n_hid, n), fp16_representable=True,
               lstm_storage="flat-per-layer" if flat else "per-tensor",
               weight_hh_storage="separate-copy" if separate_hh else "shared-with-raw")
    notes = ("WT103_FWD lstm_fwd.pth layout (fastai1 1.0.53 train_wt103.py, learn.save(with_opt=False)): bare v1 LM "
             "state_dict, 19 keys, tied embedding/encoder_dp/decoder = one storage, module.weight_hh_l0 = _raw "
             "storage, decoder bias, float32 values exactly fp16-representable; vocab in the *_itos.pkl")
    e = []
    for fmt in formats:
        fname = name if (fmt == "legacy" and legacy_plain_name) else f"{name}.{fmt}"
        e.append(dict(name=fname, obj=sd, layout="fastai-v1-lm", config=cfg, check=chk,
                      extra=dict(notes=notes, **({"flat_offsets": offsets} if offsets else {})),
                      formats=(fmt,), ext=".pth", container="bare", explicit_name=True, location=location))
    return e


def torch_entries():
    out = []
    torch.manual_seed(51)
    dt = collections.OrderedDict()
    dt["float32"] = torch.randn(2, 3)
    dt["float64"] = torch.randn(2, 3, dtype=torch.float64)
    dt["float16"] = torch.randn(2, 3).half()
    dt["bfloat16"] = torch.randn(2, 3).bfloat16()
    dt["int8"] = torch.tensor([[-128, -1, 0], [1, 2, 127]], dtype=torch.int8)
    dt["int16"] = torch.tensor([[-32768, -2, 0], [3, 300, 32767]], dtype=torch.int16)
    dt["int32"] = torch.tensor([[-2 ** 31, -5, 0], [7, 70000, 2 ** 31 - 1]], dtype=torch.int32)
    dt["int64"] = torch.tensor([[-2 ** 63, -9, 0], [11, 2 ** 40, 2 ** 63 - 1]], dtype=torch.int64)
    dt["uint8"] = torch.tensor([[0, 1, 2], [127, 128, 255]], dtype=torch.uint8)
    dt["bool"] = torch.tensor([[True, False, True], [False, False, True]])
    dt["complex64"] = torch.complex(torch.randn(2, 3), torch.randn(2, 3))

    def common(name, obj, layout, notes, check=None):
        out.append(dict(name=name, obj=obj, layout=layout, config={}, check=check, extra=dict(notes=notes),
                        formats=("zip", "legacy"), ext=".pt", container="bare"))

    common("torch_dtypes", dt, "torch-dtypes", "one [2,3] tensor per dtype (11 dtypes), each its own storage; "
           "integer extremes included")

    base = torch.arange(100, dtype=torch.float32)
    m = torch.arange(12, dtype=torch.float32).reshape(3, 4) * 0.5
    views = collections.OrderedDict()
    views["a"] = base[10:20]
    views["b"] = base[50:60].view(2, 5)
    views["transposed"] = m.t()
    views["strided"] = torch.arange(20, dtype=torch.int32)[::2]
    views["scalar"] = torch.tensor(3.5)
    views["scalar_int"] = torch.tensor(7, dtype=torch.int64)
    views["empty"] = torch.empty(0, 3)
    views["expanded"] = torch.tensor([1.0, 2.0, 3.0]).expand(2, 3)

    def chk_views(d):
        assert same_storage(d["a"], d["b"]) and d["a"].storage_offset() == 10 and d["b"].storage_offset() == 50
        assert not d["transposed"].is_contiguous() and d["transposed"].stride() == (1, 4)
        assert d["strided"].stride() == (2,) and d["strided"].storage().size() == 20
        assert d["scalar"].dim() == 0 and d["empty"].numel() == 0 and d["expanded"].stride() == (0, 1)
    common("torch_views", views, "torch-views",
           "a/b: two views of one 100-element float32 storage at offsets 10 and 50 (b reshaped [2,5]); "
           "transposed: [4,3] stride (1,4) of a 12-element storage; strided: int32 every 2nd element of a "
           "20-element storage; scalar/scalar_int: rank 0; empty: [0,3]; expanded: [2,3] stride (0,1) of 3 elements",
           chk_views)

    torch.manual_seed(52)
    nested = {
        "layers": [(torch.randn(2, 2), torch.randn(3)), (torch.arange(4, dtype=torch.int64),)],
        3: {"x": [torch.ones(2, dtype=torch.float64)], 7: (torch.zeros(1, dtype=torch.int16),)},
        "meta": {"name": "nested", "epoch": 3, "lr": 0.001, "flag": True, "none": None, "big": 2 ** 40,
                 "neg": -12, "text": "üñí", "bytes_len": [1, 2, 3]},
    }
    common("torch_nested", nested, "torch-nested", "dict with str and int keys -> list of tuples of tensors, "
           "dicts with int keys, scalars (str, int, float, bool, None, a 2**40 int)")

    torch.manual_seed(53)
    net = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    net(torch.randn(5, 4)).pow(2).mean().backward()
    opt.step()
    common("torch_adam_state", {"model": net.state_dict(), "optimizer": opt.state_dict()}, "torch-optimizer",
           "{'model': Sequential(Linear(4,3), ReLU, Linear(3,2)).state_dict(), 'optimizer': Adam.state_dict() after "
           "one step} (torch 1.13: 'step' is a float32 rank-0 tensor)")
    return out


# ----------------------------------------------------------------------------------------------------------------
# big-endian zip, derived from a torch-written zip
# ----------------------------------------------------------------------------------------------------------------
class _StorageScanner(pickle.Unpickler):
    """Reads data.pkl only to learn each storage record's dtype (element size) from its persistent id."""

    def __init__(self, f):
        super().__init__(f)
        self.types = {}

    def find_class(self, module, name):
        if "Storage" in name:
            return ("storage-type", name)
        if (module, name) == ("collections", "OrderedDict"):
            return collections.OrderedDict
        return lambda *a, **k: None

    def persistent_load(self, pid):
        _, stype, key, _, _ = pid
        self.types[key] = stype[1]
        return None


ELEM = {"FloatStorage": (4, 4), "DoubleStorage": (8, 8), "HalfStorage": (2, 2), "BFloat16Storage": (2, 2),
        "CharStorage": (1, 1), "ShortStorage": (2, 2), "IntStorage": (4, 4), "LongStorage": (8, 8),
        "ByteStorage": (1, 1), "BoolStorage": (1, 1), "ComplexFloatStorage": (8, 4),
        "ComplexDoubleStorage": (16, 8)}


def swap_bytes(data, unit):
    if unit == 1:
        return data
    b = bytearray(data)
    for i in range(0, len(b), unit):
        b[i:i + unit] = b[i:i + unit][::-1]
    return bytes(b)


def make_big_endian(src, dst):
    """Rewrite a torch zip: add byteorder='big' after data.pkl and byte-swap every storage per element
    (complex: each half separately), keeping torch's record names and order."""
    with zipfile.ZipFile(src) as zin:
        names = zin.namelist()
        prefix = names[0].split("/")[0]
        sc = _StorageScanner(io.BytesIO(zin.read(f"{prefix}/data.pkl")))
        sc.load()
        with zipfile.ZipFile(dst, "w", compression=zipfile.ZIP_STORED) as zout:
            for nm in names:
                data = zin.read(nm)
                rel = nm[len(prefix) + 1:]
                if rel.startswith("data/"):
                    _, unit = ELEM[sc.types[rel[5:]]]
                    data = swap_bytes(data, unit)
                zout.writestr(zipfile.ZipInfo(nm), data)
                if rel == "data.pkl":
                    zout.writestr(zipfile.ZipInfo(f"{prefix}/byteorder"), b"big")
    return sc.types


# ----------------------------------------------------------------------------------------------------------------
# main
# ----------------------------------------------------------------------------------------------------------------
def write_entry(e, root, manifest):
    for fmt in e["formats"]:
        fname = (e["name"] if e.get("explicit_name") else f"{e['name']}.{fmt}") + e["ext"]
        path = root / fname
        save(e["obj"], path, fmt, e.get("location"))
        loaded = torch.load(path, map_location="cpu", weights_only=False)
        assert_roundtrip(e["obj"], loaded, path)
        if e["check"]:
            e["check"](loaded)
        try:  # does torch's own allowlist unpickler accept the file? (no for the fastcore L global)
            torch.load(path, map_location="cpu", weights_only=True)
            wo = True
        except Exception:
            wo = False
        rel = path.relative_to(FIX).as_posix()
        manifest[rel] = dict(format=fmt, layout=e["layout"], container=e["container"], config=e["config"],
                             bytes=path.stat().st_size, loaded_by=LOADED_BY, weights_only_loads=wo,
                             storage_location=e.get("location") or "cpu", **e["extra"],
                             value=Describer()(loaded))
        print(f"{rel:55s} {fmt:6s} {e['layout']:22s} {path.stat().st_size:>10,d} B")


def byteswapped(t):
    """The tensor whose every element has its bytes reversed (complex: each half), as a new tensor."""
    c = t.contiguous()
    if c.dtype == torch.bfloat16:
        return torch.from_numpy(c.view(torch.int16).numpy().byteswap()).view(torch.bfloat16)
    return torch.from_numpy(c.numpy().byteswap())


def assert_byteswapped(raw, logical):
    for k, t in logical.items():
        assert torch.equal(byteswapped(raw[k]), t.contiguous()), k
        assert t.element_size() == 1 or k == "bool" or not torch.equal(raw[k], t), k


def verify(manifest_path):
    """Reload every committed fixture and compare what torch.load returns with its fixtures.json entry."""
    install_fastcore_stub()
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    bad = 0
    for rel, e in manifest.items():
        path = FIX / rel
        if e["format"] == "pickle":
            with open(path, "rb") as f:
                words = pickle.load(f)
            ok = (type(words) is list and len(words) == e["length"] and all(type(w) is str for w in words)
                  and ("value" not in e or {"list": words} == e["value"])
                  and ("first" not in e or words[:len(e["first"])] == e["first"]))
        elif e.get("byteorder") == "big":
            raw = torch.load(path)
            fixed = collections.OrderedDict((k, byteswapped(t)) for k, t in raw.items())
            ok = json.loads(json.dumps(Describer()(fixed))) == e["value"]
        else:
            got = json.loads(json.dumps(Describer()(torch.load(path, map_location="cpu", weights_only=False)),
                                        ensure_ascii=False))
            ok = got == e["value"]
        bad += not ok
        print(f"{'ok  ' if ok else 'FAIL'} {rel}")
    print(f"{len(manifest) - bad}/{len(manifest)} fixtures match {manifest_path.name}")
    return bad == 0


def write_manifest(path, manifest):
    """One fixture per line: diff-friendly and small; any JSON parser reads it."""
    lines = [f" {json.dumps(k)}: {json.dumps(v, ensure_ascii=False, separators=(',', ':'))}"
             for k, v in manifest.items()]
    path.write_text("{\n" + ",\n".join(lines) + "\n}\n", encoding="utf-8")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", choices=["small", "wt103"], default="small")
    ap.add_argument("--zip", action="store_true", help="with --size wt103: also write the zip variant")
    ap.add_argument("--flat", action="store_true", help="with --size wt103: LSTM tensors as views of one flat "
                                                        "storage per layer (cuDNN flatten_parameters)")
    ap.add_argument("--separate-hh", action="store_true", help="with --size wt103: module.weight_hh_l0 as a "
                                                               "separate copy of _raw (no shared storage)")
    ap.add_argument("--cuda-location", action="store_true", help="with --size wt103: storages tagged 'cuda:0'")
    ap.add_argument("--verify", action="store_true", help="only reload the fixtures listed in fixtures.json (or "
                                                          "large/large.json with --size wt103) and compare")
    args = ap.parse_args()
    if args.verify:
        ok = verify(FIX / ("large/large.json" if args.size == "wt103" else "fixtures.json"))
        sys.exit(0 if ok else 1)
    install_fastcore_stub()
    torch.use_deterministic_algorithms(True)

    if args.size == "wt103":
        root = FIX / "large"
        mpath = root / "large.json"
        manifest = json.loads(mpath.read_text(encoding="utf-8")) if mpath.exists() else {}
        name = ("wt103_fwd" + ("_flat" if args.flat else "") + ("_separate_hh" if args.separate_hh else "") +
                ("_cuda" if args.cuda_location else ""))
        for e in wt103_entries(vocab=60000, emb_sz=400, n_hid=1152, seed=103, name=name,
                               legacy_plain_name=True, formats=("legacy", "zip") if args.zip else ("legacy",),
                               flat=args.flat, separate_hh=args.separate_hh,
                               location="cuda:0" if args.cuda_location else None):
            write_entry(e, root, manifest)
        itos = root / "itos_wt103.pkl"
        with open(itos, "wb") as f:
            pickle.dump(make_itos(60000), f, protocol=3)
        manifest["large/itos_wt103.pkl"] = dict(format="pickle", layout="fastai-itos", bytes=itos.stat().st_size,
                                                pickle_protocol=3, length=60000, first=make_itos(10))
        write_manifest(mpath, manifest)
        print(f"large/itos_wt103.pkl {itos.stat().st_size:,d} B")
        return

    manifest = {}
    for e in fixtures_small():
        write_entry(e, FIX, manifest)

    # vocabulary for the WT103-shaped mini model
    itos = FIX / "wt103_mini_itos.pkl"
    words = make_itos(200)
    with open(itos, "wb") as f:
        pickle.dump(words, f, protocol=3)
    assert pickle.load(open(itos, "rb")) == words
    manifest["wt103_mini_itos.pkl"] = dict(format="pickle", layout="fastai-itos", bytes=itos.stat().st_size,
                                           pickle_protocol=3, length=len(words),
                                           sha256_of_joined_words=hashlib.sha256(
                                               "\n".join(words).encode()).hexdigest(),
                                           value={"list": words})
    print(f"{'wt103_mini_itos.pkl':55s} pickle {'fastai-itos':22s} {itos.stat().st_size:>10,d} B")

    # big-endian zip derived from the little-endian torch_dtypes zip
    src_obj = torch.load(FIX / "torch_dtypes.zip.pt")
    with tempfile.TemporaryDirectory() as td:
        src = Path(td) / "torch_dtypes_bigendian.zip.pt"
        torch.save(src_obj, src)  # same record prefix as the target name
        dst = FIX / "torch_dtypes_bigendian.zip.pt"
        types_ = make_big_endian(src, dst)
    raw = torch.load(dst)  # torch 1.13 ignores `byteorder`: it returns the byte-swapped values
    assert_byteswapped(raw, src_obj)
    rel = dst.relative_to(FIX).as_posix()
    manifest[rel] = dict(format="zip", layout="torch-dtypes", container="bare", config={}, byteorder="big",
                         bytes=dst.stat().st_size,
                         loaded_by="derived: the logical values of torch_dtypes.zip.pt, i.e. what torch >= 2.1 "
                                   "returns honouring byteorder=big (torch 1.13 ignores the record and returns "
                                   "byte-swapped values)",
                         notes="NOT written by torch directly: torch_dtypes saved by torch.save (zip), then "
                               "rewritten with Python zipfile: a 'byteorder' record 'big' inserted after data.pkl "
                               "and every data/<key> record byte-swapped per element (complex64: each float32 half); "
                               "record names kept; entries not 64-byte aligned",
                         storage_types=types_, value=Describer()(src_obj))
    print(f"{rel:55s} {'zip':6s} {'torch-dtypes (big)':22s} {dst.stat().st_size:>10,d} B")

    write_manifest(FIX / "fixtures.json", manifest)
    total = sum(p.stat().st_size for p in FIX.iterdir() if p.is_file())
    print(f"total in fixtures/: {total:,d} B")


if __name__ == "__main__":
    main()
