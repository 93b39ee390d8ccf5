using System.Buffers.Binary;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace WeightPort.Tensors;

/// <summary>Conversions between little-endian element bytes and float32.</summary>
internal static class ElementConversion
{
    /// <summary>Converts contiguous little-endian <paramref name="raw"/> elements of <paramref name="type"/> to float32.</summary>
    public static void ToFloat32(DType type, ReadOnlySpan<byte> raw, Span<float> destination)
    {
        int n = destination.Length;
        if (raw.Length != (long)n * type.ElementSize()) throw new ArgumentException("length mismatch");
        switch (type)
        {
            case DType.Float32: MemoryMarshal.Cast<byte, float>(raw).CopyTo(destination); break;
            case DType.Float16: TensorPrimitives.ConvertToSingle(MemoryMarshal.Cast<byte, Half>(raw), destination); break;
            case DType.BFloat16:
                var b = MemoryMarshal.Cast<byte, ushort>(raw);
                for (int i = 0; i < n; i++) destination[i] = BitConverter.Int32BitsToSingle(b[i] << 16);
                break;
            case DType.Float64: for (int i = 0; i < n; i++) destination[i] = (float)BinaryPrimitives.ReadDoubleLittleEndian(raw[(i * 8)..]); break;
            case DType.Int8: for (int i = 0; i < n; i++) destination[i] = (sbyte)raw[i]; break;
            case DType.UInt8 or DType.Bool: for (int i = 0; i < n; i++) destination[i] = raw[i]; break;
            case DType.Int16: for (int i = 0; i < n; i++) destination[i] = BinaryPrimitives.ReadInt16LittleEndian(raw[(i * 2)..]); break;
            case DType.Int32: for (int i = 0; i < n; i++) destination[i] = BinaryPrimitives.ReadInt32LittleEndian(raw[(i * 4)..]); break;
            case DType.Int64: for (int i = 0; i < n; i++) destination[i] = BinaryPrimitives.ReadInt64LittleEndian(raw[(i * 8)..]); break;
            default: throw new NotSupportedException($"cannot convert {type.TorchName()} to float32");
        }
    }

    /// <summary>Converts float32 values to <paramref name="type"/> (float32, float16 or bfloat16, round to nearest even), little-endian.</summary>
    public static void FromFloat32(ReadOnlySpan<float> values, DType type, Span<byte> destination)
    {
        if (destination.Length != (long)values.Length * type.ElementSize()) throw new ArgumentException("length mismatch");
        switch (type)
        {
            case DType.Float32: MemoryMarshal.AsBytes(values).CopyTo(destination); break;
            case DType.Float16: TensorPrimitives.ConvertToHalf(values, MemoryMarshal.Cast<byte, Half>(destination)); break;
            case DType.BFloat16:
                var d = MemoryMarshal.Cast<byte, ushort>(destination);
                for (int i = 0; i < values.Length; i++) d[i] = ToBFloat16(values[i]);
                break;
            default: throw new NotSupportedException($"cannot convert float32 to {type.TorchName()}");
        }
    }

    /// <summary>Rounds a float32 to bfloat16 bits, nearest even; NaN stays NaN.</summary>
    public static ushort ToBFloat16(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        if (float.IsNaN(value)) return (ushort)((bits >> 16) | 0x40);
        uint rounding = 0x7FFF + ((bits >> 16) & 1);
        return (ushort)((bits + rounding) >> 16);
    }
}
