using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace WeightPort.Compute.Cpu;

/// <summary>float32 weights: plain loads.</summary>
internal readonly unsafe struct Float32Load : IWeightLoad
{
    /// <inheritdoc />
    public static int ElementSize => 4;

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Load16(byte* row, int p) => Vector512.Load((float*)row + p);

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Load1(byte* row, int p) => ((float*)row)[p];
}
