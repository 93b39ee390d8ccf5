using WeightPort.Tensors;

namespace WeightPort.Formats.Pickle;

/// <summary>
/// The globals WeightPort interprets (docs/formats.md §2.3, §10.2 torch). Everything else
/// stays an opaque name. Python 2 module names are mapped as CPython's <c>_compat_pickle</c> and torch's
/// <c>load_module_mapping</c> do.
/// </summary>
internal static class PickleAllowlist
{
    private static readonly Dictionary<string, string> ModuleAliases = new(StringComparer.Ordinal)
    {
        ["__builtin__"] = "builtins",
        ["copy_reg"] = "copyreg",
        ["torch.tensor"] = "torch._tensor",
    };

    private static readonly HashSet<string> Names = new(StringComparer.Ordinal)
    {
        "collections.OrderedDict", "collections.Counter",
        "torch._utils._rebuild_tensor", "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_tensor_v3",
        "torch._utils._rebuild_parameter", "torch._utils._rebuild_parameter_with_state",
        "torch._tensor._rebuild_from_type_v2",
        "torch.Size", "torch.device", "torch.Tensor", "torch.nn.parameter.Parameter",
        "torch.UntypedStorage", "torch.storage.UntypedStorage",
        "_codecs.encode",
        "builtins.set", "builtins.frozenset", "builtins.bytearray", "builtins.bytes", "builtins.complex",
    };

    // dtypes torch pickles by name for _rebuild_tensor_v3 (docs/formats.md §3.3); the ones DType lacks still name nothing dangerous.
    private static readonly HashSet<string> ExtraDTypeNames = new(StringComparer.Ordinal)
    {
        "float8_e5m2", "float8_e4m3fn", "float8_e5m2fnuz", "float8_e4m3fnuz", "float8_e8m0fnu", "bits8", "bits16",
        "bits1x8", "bits2x4", "bits4x2", "complex32", "uint16", "uint32", "uint64",
    };

    public static string MapModule(string module) => ModuleAliases.TryGetValue(module, out var m) ? m : module;

    public static bool IsAllowed(string module, string name)
    {
        if (Names.Contains(module + "." + name)) return true;
        if (module is "torch" or "torch.cuda" && name.EndsWith("Storage", StringComparison.Ordinal))
            return DTypes.TryFromStorageClass(name, out _);
        // The legacy tensor classes (torch.FloatTensor …): the tar format names them in its tensor headers.
        if (module is "torch" or "torch.cuda" && name.EndsWith("Tensor", StringComparison.Ordinal) && name.Length > "Tensor".Length)
            return DTypes.TryFromStorageClass(name[..^"Tensor".Length] + "Storage", out _);
        if (module == "torch") return DTypes.TryFromTorchName(name, out _) || ExtraDTypeNames.Contains(name);
        return false;
    }

    /// <summary>True for a storage class global; <paramref name="dtype"/> is uint8 for <c>UntypedStorage</c>.</summary>
    public static bool TryGetStorageClass(PickleValue value, out DType dtype, out bool untyped)
    {
        dtype = default;
        untyped = false;
        if (value is not PickleGlobal { IsAllowlisted: true } g) return false;
        if (g.Name == "UntypedStorage") { dtype = DType.UInt8; untyped = true; return true; }
        // torch resolves storage classes by name only (docs/formats.md §3.2), so torch.cuda.FloatStorage is float.
        return g.Name.EndsWith("Storage", StringComparison.Ordinal) && DTypes.TryFromStorageClass(g.Name, out dtype);
    }
}
