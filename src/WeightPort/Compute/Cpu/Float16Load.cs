using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace WeightPort.Compute.Cpu;

/// <summary>
/// IEEE binary16 weights, widened exactly: the 15 magnitude bits shifted into a float32's exponent and mantissa and
/// scaled by 2¹¹² (which also turns a half subnormal into the right float32 normal), infinities and NaNs given the
/// float32 all-ones exponent, the sign bit copied. .NET exposes no vcvtph2ps, hence the integer form.
/// </summary>
internal readonly unsafe struct Float16Load : IWeightLoad
{
    /// <inheritdoc />
    public static int ElementSize => 2;

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Load16(byte* row, int p) => Widen(SixteenBitWeights.Load16(row, p));

    /// <summary>The float32 values of 16 binary16 bit patterns held in the low halves of <paramref name="u"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Widen(Vector512<uint> u)
    {
        Vector512<uint> magnitude = (u & Vector512.Create(0x7FFFu)) << 13;
        Vector512<float> scaled = magnitude.AsSingle() * Vector512.Create(0x77800000u).AsSingle();
        Vector512<uint> special = Vector512.GreaterThanOrEqual(magnitude, Vector512.Create(0x0F800000u));
        Vector512<uint> bits = Vector512.ConditionalSelect(special, magnitude | Vector512.Create(0x7F800000u), scaled.AsUInt32());
        return (bits | ((u & Vector512.Create(0x8000u)) << 16)).AsSingle();
    }

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Load1(byte* row, int p) => (float)((Half*)row)[p];
}
