using System.Text.Json;
using WeightPort.Tests.Pickle;

namespace WeightPort.Tests.Torch;

/// <summary>Python snippets shared by the torch reader tests; files are written by python3 and real torch, never by WeightPort.</summary>
internal static class TorchPython
{
    /// <summary>`describe(value)`: what torch.load returned, in the corpus's EXPECTED.json convention.</summary>
    public const string Describe = """
import hashlib, torch
def describe(value, groups=None):
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

""";

    /// <summary>Runs a script that prints a JSON expectation, returns it parsed.</summary>
    public static JsonElement Expectation(string script, string? workingDirectory = null)
    {
        using var doc = JsonDocument.Parse(Python.Run(Describe + script, workingDirectory: workingDirectory));
        return doc.RootElement.Clone();
    }
}
