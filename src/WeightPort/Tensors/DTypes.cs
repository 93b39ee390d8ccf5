using System.Diagnostics.CodeAnalysis;

namespace WeightPort.Tensors;

/// <summary>Facts about each <see cref="DType"/> and its names in the formats WeightPort speaks.</summary>
internal static class DTypes
{
    private static readonly (DType Type, int Size, string Torch, string StorageClass, string? Safetensors, int TorchSharpCode)[] Table =
    [
        // Storage class names: docs/formats.md §3.2. TorchSharp codes: docs/formats.md §8.4 (enum ScalarType).
        (DType.Float32, 4, "float32", "FloatStorage", "F32", 6),
        (DType.Float64, 8, "float64", "DoubleStorage", "F64", 7),
        (DType.Float16, 2, "float16", "HalfStorage", "F16", 5),
        (DType.BFloat16, 2, "bfloat16", "BFloat16Storage", "BF16", 15),
        (DType.Int8, 1, "int8", "CharStorage", "I8", 1),
        (DType.Int16, 2, "int16", "ShortStorage", "I16", 2),
        (DType.Int32, 4, "int32", "IntStorage", "I32", 3),
        (DType.Int64, 8, "int64", "LongStorage", "I64", 4),
        (DType.UInt8, 1, "uint8", "ByteStorage", "U8", 0),
        (DType.Bool, 1, "bool", "BoolStorage", "BOOL", 11),
        (DType.Complex64, 8, "complex64", "ComplexFloatStorage", "C64", 9),
        (DType.Complex128, 16, "complex128", "ComplexDoubleStorage", null, 10),
    ];

    private static ref readonly (DType Type, int Size, string Torch, string StorageClass, string? Safetensors, int TorchSharpCode) Row(DType t)
    {
        int i = (int)t;
        if ((uint)i >= (uint)Table.Length) throw new ArgumentOutOfRangeException(nameof(t));
        return ref Table[i];
    }

    /// <summary>Bytes per element.</summary>
    public static int ElementSize(this DType t) => Row(t).Size;

    /// <summary>The swap unit for byte-order conversion: complex types swap each half separately.</summary>
    public static int SwapUnit(this DType t) => t is DType.Complex64 or DType.Complex128 ? Row(t).Size / 2 : Row(t).Size;

    /// <summary>PyTorch's name without the <c>torch.</c> prefix, e.g. <c>float32</c>.</summary>
    public static string TorchName(this DType t) => Row(t).Torch;

    /// <summary>The legacy storage class, e.g. <c>FloatStorage</c>.</summary>
    public static string StorageClass(this DType t) => Row(t).StorageClass;

    /// <summary>The safetensors dtype string, or null when safetensors has none.</summary>
    public static string? SafetensorsName(this DType t) => Row(t).Safetensors;

    /// <summary>TorchSharp's <c>ScalarType</c> code.</summary>
    public static int TorchSharpCode(this DType t) => Row(t).TorchSharpCode;

    /// <summary>True for floating-point types.</summary>
    public static bool IsFloatingPoint(this DType t) => t is DType.Float32 or DType.Float64 or DType.Float16 or DType.BFloat16;

    /// <summary>Resolves a storage class name (<c>FloatStorage</c>, also <c>torch.cuda.FloatStorage</c>'s last part).</summary>
    public static bool TryFromStorageClass(string name, out DType type) => TryFind(r => r.StorageClass == name, out type);

    /// <summary>Resolves PyTorch's dtype name (<c>float32</c>, <c>float</c>, <c>half</c>, <c>long</c> …).</summary>
    public static bool TryFromTorchName(string name, out DType type)
    {
        string canonical = name switch
        {
            "float" => "float32",
            "double" => "float64",
            "half" => "float16",
            "long" => "int64",
            "int" => "int32",
            "short" => "int16",
            "cfloat" => "complex64",
            "cdouble" => "complex128",
            _ => name,
        };
        return TryFind(r => r.Torch == canonical, out type);
    }

    /// <summary>Resolves a safetensors dtype string.</summary>
    public static bool TryFromSafetensorsName(string name, out DType type) => TryFind(r => r.Safetensors == name, out type);

    /// <summary>Resolves a TorchSharp <c>ScalarType</c> code.</summary>
    public static bool TryFromTorchSharpCode(long code, out DType type) => TryFind(r => r.TorchSharpCode == code, out type);

    private static bool TryFind(Func<(DType Type, int Size, string Torch, string StorageClass, string? Safetensors, int TorchSharpCode), bool> match,
        [NotNullWhen(true)] out DType type)
    {
        foreach (var row in Table)
        {
            if (match(row)) { type = row.Type; return true; }
        }
        type = default;
        return false;
    }
}
