using System.Text;
using WeightPort.Tensors;

namespace WeightPort.Formats.Pickle;

/// <summary>Interpretation of the allowlisted callables (REDUCE, NEWOBJ, INST, OBJ): nothing is ever called.</summary>
internal sealed partial class Unpickler
{
    private PickleValue Call(PickleValue callable, PickleValue args, string opcode)
    {
        if (callable is not PickleGlobal { IsAllowlisted: true } g) return Opaque(callable, args, opcode);
        if (args is not PickleTuple tuple)
            throw Fail(CheckpointError.MalformedPickle, $"{opcode} of {g.FullName} with {args.Described} instead of an argument tuple");
        var a = tuple.Items;
        switch (g.FullName)
        {
            case "collections.OrderedDict":
            case "collections.Counter":
                {
                    var dict = new PickleDict(g.FullName);
                    if (a.Count == 1 && a[0] is PickleDict src) foreach (var kv in src.Items) dict.Set(kv.Key, kv.Value);
                    else if (a.Count == 1 && a[0] is PickleList or PickleTuple)
                    {
                        foreach (var pair in Items(a[0]))
                        {
                            if (pair is not PickleTuple { Items.Count: 2 } kv) throw Fail(CheckpointError.MalformedPickle, $"{g.FullName} item is {pair.Described}, not a pair");
                            dict.Set(kv.Items[0], kv.Items[1]);
                        }
                    }
                    else if (a.Count != 0) throw BadArgs(g, a);
                    return dict;
                }
            case "builtins.set":
            case "builtins.frozenset":
                {
                    var set = new PickleSet(g.Name == "frozenset");
                    if (a.Count == 1) foreach (var item in Items(a[0])) set.Add(item);
                    else if (a.Count != 0) throw BadArgs(g, a);
                    return set;
                }
            case "builtins.bytes":
            case "builtins.bytearray":
                {
                    bool isArray = g.Name == "bytearray";
                    if (a.Count == 0) return new PickleBytes([], isArray);
                    if (a.Count == 1 && a[0] is PickleBytes b) return new PickleBytes(b.Value.ToArray(), isArray);
                    if (a.Count == 2 && a[0] is PickleString s && a[1] is PickleString enc) return new PickleBytes(Encode(s.Value, enc.Value), isArray);
                    if (a.Count == 1 && a[0] is PickleList ints)
                    {
                        var bytes = new byte[ints.Items.Count];
                        for (int i = 0; i < bytes.Length; i++)
                            bytes[i] = ints.Items[i] is PickleInt pi && pi.Value >= 0 && pi.Value <= 255 ? (byte)pi.Value : throw BadArgs(g, a);
                        return new PickleBytes(bytes, isArray);
                    }
                    throw BadArgs(g, a);
                }
            case "_codecs.encode":
                {
                    if (a.Count is < 1 or > 2 || a[0] is not PickleString s) throw BadArgs(g, a);
                    string encoding = a.Count == 2 ? (a[1] as PickleString)?.Value ?? throw BadArgs(g, a) : "utf-8";
                    return new PickleBytes(Encode(s.Value, encoding));
                }
            case "builtins.complex":
                {
                    double re = a.Count > 0 ? Number(a[0], g) : 0, im = a.Count > 1 ? Number(a[1], g) : 0;
                    if (a.Count > 2) throw BadArgs(g, a);
                    return new PickleComplex(re, im);
                }
            case "torch.Size":
                return a.Count == 0 ? PickleTuple.Empty : a.Count == 1 && a[0] is PickleTuple size ? size : throw BadArgs(g, a);
            case "torch.device":
                {
                    // Kept as its text, e.g. 'cuda:0'.
                    if (a.Count == 1 && a[0] is PickleString d) return d;
                    if (a.Count == 2 && a[0] is PickleString t && a[1] is PickleInt i) return new PickleString($"{t.Value}:{i.Value}");
                    throw BadArgs(g, a);
                }
            case "torch._utils._rebuild_tensor":
                return RebuildTensor(g, a, minArgs: 4, maxArgs: 4, dtypeIndex: -1);
            case "torch._utils._rebuild_tensor_v2":
                return RebuildTensor(g, a, minArgs: 6, maxArgs: 7, dtypeIndex: -1);
            case "torch._utils._rebuild_tensor_v3":
                return RebuildTensor(g, a, minArgs: 7, maxArgs: 8, dtypeIndex: 6);
            case "torch._utils._rebuild_parameter":
            case "torch._utils._rebuild_parameter_with_state":
            case "torch.nn.parameter.Parameter":
                {
                    if (a.Count == 0) throw BadArgs(g, a);
                    if (a[0] is not PickleTensor t) return Opaque(callable, args, opcode);
                    if (a.Count > 1 && a[1] is PickleBool rg) t.RequiresGrad = rg.Value;
                    return t;
                }
            case "torch._tensor._rebuild_from_type_v2":
                {
                    // _rebuild_from_type_v2(func, new_type, args, state) = func(*args) viewed as new_type; unwrap.
                    if (a.Count != 4 || a[2] is not PickleTuple inner) throw BadArgs(g, a);
                    if (a[1] is not PickleGlobal { IsAllowlisted: true }) return Opaque(callable, args, opcode);
                    return Call(a[0], inner, opcode);
                }
            default:
                // Allowlisted names that are not constructors we interpret (dtypes, storage classes, torch.Tensor).
                return Opaque(callable, args, opcode);
        }
    }

    private PickleValue RebuildTensor(PickleGlobal g, IReadOnlyList<PickleValue> a, int minArgs, int maxArgs, int dtypeIndex)
    {
        if (a.Count < minArgs || a.Count > maxArgs)
            throw Fail(CheckpointError.MalformedPickle, $"{g.FullName} takes {minArgs}{(maxArgs > minArgs ? $" to {maxArgs}" : "")} arguments, got {a.Count}");
        if (a[0] is not PickleStorage storage)
            throw Fail(CheckpointError.MalformedPickle, $"{g.FullName}: first argument is {a[0].Described}, not a storage persistent id");
        long offset = Int64Arg(a[1], g, "storage_offset");
        long[] shape = SizeTuple(a[2], g, "size");
        long[] stride = SizeTuple(a[3], g, "stride");
        if (shape.Length != stride.Length)
            throw Fail(CheckpointError.MalformedPickle, $"{g.FullName}: size has {shape.Length} dims but stride has {stride.Length}");
        bool requiresGrad = a.Count > 4 && a[4] is PickleBool { Value: true };
        if (a.Count > 4 && a[4] is not PickleBool) throw Fail(CheckpointError.MalformedPickle, $"{g.FullName}: requires_grad is {a[4].Described}");
        DType dtype = storage.DType;
        if (dtypeIndex >= 0)
        {
            if (a[dtypeIndex] is not PickleGlobal { IsAllowlisted: true, Module: "torch" } d)
                throw Fail(CheckpointError.MalformedPickle, $"{g.FullName}: dtype argument is {a[dtypeIndex].Described}, not a torch dtype");
            if (!DTypes.TryFromTorchName(d.Name, out dtype))
                throw Fail(CheckpointError.UnsupportedDType, $"dtype torch.{d.Name} is not supported");
            if (!storage.IsUntyped && dtype != storage.DType)
                throw Fail(CheckpointError.StorageMismatch, $"{g.FullName}: dtype {dtype.TorchName()} on a {storage.DType.StorageClass()}");
        }
        var t = new PickleTensor(storage, dtype, offset, shape, stride, requiresGrad, _baseOffset + _opOffset);
        Tensors.Add(t);
        return t;
    }

    private long Int64Arg(PickleValue v, PickleGlobal g, string what) =>
        v is PickleInt i && i.TryGetInt64(out long x) ? x : throw Fail(CheckpointError.MalformedPickle, $"{g.FullName}: {what} is {Describe(v)}, not a 64-bit int");

    private long[] SizeTuple(PickleValue v, PickleGlobal g, string what)
    {
        if (v is not PickleTuple t) throw Fail(CheckpointError.MalformedPickle, $"{g.FullName}: {what} is {v.Described}, not a tuple");
        if (t.Items.Count > _limits.MaxTensorRank)
            throw Fail(CheckpointError.LimitExceeded, $"{g.FullName}: {what} has {t.Items.Count} dims (limit {_limits.MaxTensorRank})");
        var r = new long[t.Items.Count];
        for (int i = 0; i < r.Length; i++) r[i] = Int64Arg(t.Items[i], g, $"{what}[{i}]");
        return r;
    }

    private static string Describe(PickleValue v) => v is PickleInt i ? i.Value.ToString() : v.Described;

    private double Number(PickleValue v, PickleGlobal g) => v switch
    {
        PickleFloat f => f.Value,
        PickleInt i => (double)i.Value,
        _ => throw Fail(CheckpointError.MalformedPickle, $"{g.FullName}: argument is {v.Described}, not a number"),
    };

    private IEnumerable<PickleValue> Items(PickleValue v) => v switch
    {
        PickleList l => l.Items,
        PickleTuple t => t.Items,
        PickleSet s => s.Items,
        _ => throw Fail(CheckpointError.MalformedPickle, $"expected a list or tuple, got {v.Described}"),
    };

    private byte[] Encode(string text, string encoding)
    {
        switch (encoding.ToLowerInvariant().Replace('_', '-'))
        {
            case "latin1" or "latin-1" or "iso-8859-1" or "iso8859-1":
                var bytes = new byte[text.Length];
                for (int i = 0; i < text.Length; i++)
                    bytes[i] = text[i] <= 0xFF ? (byte)text[i] : throw Fail(CheckpointError.MalformedPickle, "latin-1 text has a character above U+00FF");
                return bytes;
            case "utf-8" or "utf8":
                return Encoding.UTF8.GetBytes(text);
            case "ascii":
                return text.All(c => c < 0x80) ? Encoding.ASCII.GetBytes(text) : throw Fail(CheckpointError.MalformedPickle, "ascii text has a non-ASCII character");
            default:
                throw Fail(CheckpointError.MalformedPickle, $"_codecs.encode with unsupported encoding '{encoding}'");
        }
    }

    private CheckpointFormatException BadArgs(PickleGlobal g, IReadOnlyList<PickleValue> a) =>
        Fail(CheckpointError.MalformedPickle, $"{g.FullName} called with unsupported arguments ({string.Join(", ", a.Select(x => x.TypeName))})");
}
