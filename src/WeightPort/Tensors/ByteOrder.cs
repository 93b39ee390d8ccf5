using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace WeightPort.Tensors;

/// <summary>Byte-order conversion of element runs (big-endian storages are swapped to little-endian on the way out).</summary>
internal static class ByteOrder
{
    /// <summary>Reverses every <paramref name="unit"/>-byte group of <paramref name="bytes"/> (see <see cref="DTypes.SwapUnit"/>).</summary>
    public static void SwapInPlace(Span<byte> bytes, int unit)
    {
        switch (unit)
        {
            case 1:
                return;
            case 2:
                var s = MemoryMarshal.Cast<byte, ushort>(bytes);
                BinaryPrimitives.ReverseEndianness(s, s);
                return;
            case 4:
                var i = MemoryMarshal.Cast<byte, uint>(bytes);
                BinaryPrimitives.ReverseEndianness(i, i);
                return;
            case 8:
                var l = MemoryMarshal.Cast<byte, ulong>(bytes);
                BinaryPrimitives.ReverseEndianness(l, l);
                return;
            default:
                throw new NotSupportedException($"byte swap unit {unit}");
        }
    }
}
