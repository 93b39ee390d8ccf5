using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace WeightPort.Compute.Cpu;

/// <summary>bfloat16 weights: the stored 16 bits are the upper half of the float32.</summary>
internal readonly unsafe struct BFloat16Load : IWeightLoad
{
    /// <inheritdoc />
    public static int ElementSize => 2;

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Load16(byte* row, int p) => (SixteenBitWeights.Load16(row, p) << 16).AsSingle();

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Load1(byte* row, int p) => BitConverter.Int32BitsToSingle(((ushort*)row)[p] << 16);
}
