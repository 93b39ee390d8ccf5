using System.Runtime.Intrinsics;

namespace WeightPort.Compute.Cpu;

/// <summary>
/// Widens stored weights to float32 inside the kernels. The kernels are generic over this (a struct per storage type,
/// so the JIT compiles one copy each): the float32 and the float16 products run the same instructions in the same
/// order on the same float32 values, which makes their results bitwise equal.
/// </summary>
internal unsafe interface IWeightLoad
{
    /// <summary>Bytes per stored element.</summary>
    static abstract int ElementSize { get; }

    /// <summary>Elements <paramref name="p"/> … <paramref name="p"/> + 15 of the row at <paramref name="row"/>.</summary>
    static abstract Vector512<float> Load16(byte* row, int p);

    /// <summary>Element <paramref name="p"/> of the row at <paramref name="row"/>.</summary>
    static abstract float Load1(byte* row, int p);
}
