using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace WeightPort.Compute.Cpu;

/// <summary>
/// IEEE binary16 weights of a matrix that holds no infinity or NaN (<see cref="HalfWeightStore"/> checks every value):
/// the widening of <see cref="Float16Load"/> without its compare and select for the all-ones exponent. The single-token
/// products are bound by this widening, not by memory (bench/results/2026-12-06-cpu-peers.md).
/// </summary>
internal readonly unsafe struct FiniteFloat16Load : IWeightLoad
{
    /// <inheritdoc />
    public static int ElementSize => 2;

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Load16(byte* row, int p) => Widen(SixteenBitWeights.Load16(row, p));

    /// <summary>The float32 values of 16 finite binary16 bit patterns held in the low halves of <paramref name="u"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Widen(Vector512<uint> u)
    {
        // The half's bits to the top of the lane, then an arithmetic shift by 3: the exponent and mantissa land where
        // Float16Load puts them, the sign stays on top (its three copies below are masked off), and the product with
        // 2^112 rescales the exponent, sign included.
        Vector512<int> shifted = (u << 16).AsInt32() >> 3;
        Vector512<float> bits = (shifted & Vector512.Create(unchecked((int)0x8FFFFFFF))).AsSingle();
        return bits * Vector512.Create(0x77800000u).AsSingle();
    }

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Load1(byte* row, int p) => Float16Load.Load1(row, p);
}
