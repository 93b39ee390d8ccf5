"""describe(value): what torch.load returned, in the corpus's EXPECTED.json convention.

Shared by tools/make_tar_fixture.py and the torch reader tests (tests/WeightPort.Tests/Torch/TorchPython.cs reads this
file), so that the fixture's expectations and the tests' are described the same way.
"""
import hashlib

import torch


def describe(value, groups=None):
    # Storage groups by the root storage's address: views share their root's group (they share its memory).
    groups = {} if groups is None else groups
    if isinstance(value, torch.Tensor):
        key = value.storage().data_ptr()
        groups.setdefault(key, len(groups))
        data = value.contiguous().numpy().tobytes()
        return {'tensor': {'dtype': str(value.dtype).replace('torch.', ''), 'shape': list(value.shape),
                           'stride': list(value.stride()), 'storage_offset': value.storage_offset(),
                           'storage_group': groups[key], 'sha256': hashlib.sha256(data).hexdigest(),
                           'first': value.flatten()[:8].tolist()}}
    if isinstance(value, dict):
        return {'dict': [[k, describe(v, groups)] for k, v in value.items()]}
    if isinstance(value, list):
        return {'list': [describe(v, groups) for v in value]}
    if isinstance(value, tuple):
        return {'tuple': [describe(v, groups) for v in value]}
    return value
