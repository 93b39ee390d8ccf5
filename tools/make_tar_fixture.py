#!/usr/bin/python3
"""Writes fixtures/legacy_tar.pt, a PyTorch <= 0.1.9 tar checkpoint, and fixtures/legacy_tar.expected.json.

No tar checkpoint from the ecosystem was available, so this builds one by hand from the layout torch's own reader
(`legacy_load` inside torch/serialization.py `_legacy_load`, torch 1.13) consumes -- not with WeightPort's writer:

  storages: pickle(count); per storage pickle((key, location, storage_type)) + int64 LE element count + raw LE bytes;
            then pickle([(target_key, root_key, offset, numel), ...]) storage views
  tensors:  pickle(count); per tensor pickle((key, storage_id, tensor_type)) + <i ndim + 4 pad bytes
            + ndim <q sizes + ndim <q strides + <q storage_offset
  pickle:   the object; persistent ids are decimal strings of storage/tensor keys

The file is then loaded with real torch.load (1.13 still reads tar files) and what it returns is written to the
expected JSON in the corpus's EXPECTED.json convention. Run: /usr/bin/python3 tools/make_tar_fixture.py
"""
import io
import json
import os
import pickle
import struct
import tarfile

import torch

from torch_describe import describe  # tools/ is on sys.path when this runs as a script

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'fixtures')


def pk(obj):
    return pickle.dumps(obj, protocol=2)


def storages_member():
    f = io.BytesIO()
    weights = struct.pack('<12f', *[0.5 * i - 2.0 for i in range(12)])
    ids = struct.pack('<4q', 7, -3, 1 << 40, 0)
    f.write(pk(2))
    f.write(pk((140001, 'cpu', torch.FloatStorage)))
    f.write(struct.pack('<q', 12) + weights)
    f.write(pk((140002, 'cpu', torch.LongStorage)))
    f.write(struct.pack('<q', 4) + ids)
    # one storage view: elements 8..11 of the float storage
    f.write(pk([(140003, 140001, 8, 4)]))
    return f.getvalue()


def tensor_record(key, storage_id, tensor_type, sizes, strides, offset):
    return (pk((key, storage_id, tensor_type)) + struct.pack('<i', len(sizes)) + b'\0' * 4
            + struct.pack(f'<{len(sizes)}q', *sizes) + struct.pack(f'<{len(strides)}q', *strides)
            + struct.pack('<q', offset))


def tensors_member():
    f = io.BytesIO()
    f.write(pk(4))
    f.write(tensor_record(150001, 140001, torch.FloatTensor, [2, 3], [3, 1], 0))   # weight
    f.write(tensor_record(150002, 140001, torch.FloatTensor, [3, 2], [1, 3], 0))   # weight.t(): shares storage
    f.write(tensor_record(150003, 140003, torch.FloatTensor, [2], [2], 1))         # on the view: view elements 1, 3
    f.write(tensor_record(150004, 140002, torch.LongTensor, [4], [1], 0))          # ids
    return f.getvalue()


class _Pickler(pickle.Pickler):
    def persistent_id(self, obj):
        return obj.key if isinstance(obj, _Ref) else None


class _Ref:
    def __init__(self, key):
        self.key = str(key)


def pickle_member():
    f = io.BytesIO()
    obj = {'weight': _Ref(150001), 'weight_t': _Ref(150002), 'tail': _Ref(150003), 'ids': _Ref(150004),
           'lr': 0.1, 'epochs': [1, 2]}
    _Pickler(f, protocol=2).dump(obj)
    return f.getvalue()


def add(tar, name, data):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))


def main():
    os.makedirs(ROOT, exist_ok=True)
    path = os.path.join(ROOT, 'legacy_tar.pt')
    with tarfile.open(path, 'w', format=tarfile.PAX_FORMAT) as tar:
        add(tar, 'storages', storages_member())
        add(tar, 'tensors', tensors_member())
        add(tar, 'pickle', pickle_member())
    loaded = torch.load(path)
    expected = {'loaded_by': f'torch {torch.__version__} torch.load', 'value': describe(loaded)}
    with open(os.path.join(ROOT, 'legacy_tar.expected.json'), 'w') as f:
        json.dump(expected, f, indent=1)
    print(path, os.path.getsize(path), 'bytes')


if __name__ == '__main__':
    main()
