using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace WeightPort.Compute.Cpu;

/// <summary>bfloat16 weights: the stored 16 bits are the upper half of the float32.</summary>
internal readonly unsafe struct BFloat16Load : IWeightLoad
{
    /// <inheritdoc />
    public static int ElementSize => 2;

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Load16(byte* row, int p)
    {
        Vector256<ushort> h = Vector256.Load((ushort*)row + p);
        Vector512<uint> u = Avx512F.IsSupported
            ? Avx512F.ConvertToVector512UInt32(h)
            : Vector512.Create(Vector256.WidenLower(h), Vector256.WidenUpper(h));
        return (u << 16).AsSingle();
    }

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Load1(byte* row, int p) => BitConverter.Int32BitsToSingle(((ushort*)row)[p] << 16);
}
