#!/usr/bin/python3
"""Writes fixtures/legacy_2017_foreign_globals.legacy.pt and its .expected.json with real torch.save (legacy format).

The shape of a 2017 training checkpoint (OpenNMT-py style, torch 0.2/0.3): a dict with the model's state dict (14
tensors), the training arguments as an argparse.Namespace under 'opt', the vocabularies as torchtext.vocab.Vocab
objects under 'vocab', and plain numbers. Only the tensors are model content; the two classes are globals outside
WeightPort's allowlist, outside the tensors. A file like this was refused whole by `inspect` although its tensors are
perfectly readable.

torchtext is not installed (and 2017's torchtext would not import today), so a stand-in class is registered as
torchtext.vocab.Vocab before pickling; pickle records only the module and class name, exactly as the real one does
(NEWOBJ + BUILD of its __dict__, stoi as a plain dict as torchtext's __getstate__ writes it, freqs a
collections.Counter). The file is written with _use_new_zipfile_serialization=False (the legacy stacked-pickle
format of that era) and loaded back with real torch.load (with the stand-in still registered) to write the expected
tensors. Legacy files are value-deterministic but not byte-reproducible (storage keys are C pointers).

Run: /usr/bin/python3 tools/make_foreign_globals_fixture.py
"""
import argparse
import collections
import json
import os
import sys
import types

import torch

from torch_describe import describe  # tools/ is on sys.path when this runs as a script

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'fixtures')
NAME = 'legacy_2017_foreign_globals.legacy.pt'


class Vocab:
    """Stand-in for torchtext.vocab.Vocab (torchtext 0.2): itos, stoi, freqs, vectors."""

    def __init__(self, tokens):
        self.freqs = collections.Counter(tokens)
        self.itos = ['<unk>', '<pad>'] + sorted(self.freqs)
        self.stoi = {t: i for i, t in enumerate(self.itos)}
        self.vectors = None

    def __getstate__(self):
        # torchtext writes stoi as a plain dict (its defaultdict would pickle a function).
        attrs = dict(self.__dict__)
        attrs['stoi'] = dict(self.stoi)
        return attrs


def register_stand_in():
    torchtext = types.ModuleType('torchtext')
    vocab = types.ModuleType('torchtext.vocab')
    Vocab.__module__ = 'torchtext.vocab'
    vocab.Vocab = Vocab
    torchtext.vocab = vocab
    sys.modules['torchtext'] = torchtext
    sys.modules['torchtext.vocab'] = vocab


def model_state():
    # A small encoder-decoder: embeddings, a 2-layer LSTM encoder, a 1-layer LSTM decoder, a generator: 14 tensors.
    torch.manual_seed(2017)
    sd = collections.OrderedDict()
    sd['encoder.embeddings.weight'] = torch.randn(12, 6)
    for layer in range(2):
        inp = 6 if layer == 0 else 8
        sd[f'encoder.rnn.weight_ih_l{layer}'] = torch.randn(32, inp)
        sd[f'encoder.rnn.weight_hh_l{layer}'] = torch.randn(32, 8)
        sd[f'encoder.rnn.bias_ih_l{layer}'] = torch.randn(32)
        sd[f'encoder.rnn.bias_hh_l{layer}'] = torch.randn(32)
    sd['decoder.embeddings.weight'] = torch.randn(12, 6)
    sd['decoder.rnn.weight_ih_l0'] = torch.randn(32, 6)
    sd['decoder.rnn.weight_hh_l0'] = torch.randn(32, 8)
    sd['generator.weight'] = torch.randn(12, 8)
    sd['generator.bias'] = torch.randn(12)
    assert len(sd) == 14
    return sd


def main():
    register_stand_in()
    opt = argparse.Namespace(layers=2, rnn_size=8, word_vec_size=6, dropout=0.3, optim='sgd', learning_rate=1.0, epochs=13)
    tokens = 'the cat sat on the mat and the dog sat on the log'.split()
    checkpoint = {'model': model_state(), 'vocab': [('src', Vocab(tokens)), ('tgt', Vocab(tokens))], 'opt': opt, 'epoch': 13}
    path = os.path.join(ROOT, NAME)
    torch.save(checkpoint, path, _use_new_zipfile_serialization=False)
    loaded = torch.load(path)
    assert isinstance(loaded['opt'], argparse.Namespace) and type(loaded['vocab'][0][1]).__module__ == 'torchtext.vocab'
    expected = {
        'loaded_by': f'torch {torch.__version__} torch.load (torchtext.vocab.Vocab stand-in registered)',
        'tensors': {f'model.{k}': describe(v)['tensor'] for k, v in loaded['model'].items()},
        'foreign_globals': {'argparse.Namespace': 'opt', 'torchtext.vocab.Vocab': 'vocab'},
    }
    with open(os.path.join(ROOT, NAME.replace('.legacy.pt', '.expected.json')), 'w') as f:
        json.dump(expected, f, indent=1)
        f.write('\n')
    print(path, os.path.getsize(path), 'bytes')


if __name__ == '__main__':
    main()
