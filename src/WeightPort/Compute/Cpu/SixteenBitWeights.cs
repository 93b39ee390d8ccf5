using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace WeightPort.Compute.Cpu;

/// <summary>What float16 and bfloat16 storage share: 16 stored weights, each zero-extended into a 32-bit lane.</summary>
internal static unsafe class SixteenBitWeights
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<uint> Load16(byte* row, int p)
    {
        Vector256<ushort> h = Vector256.Load((ushort*)row + p);
        return Avx512F.IsSupported
            ? Avx512F.ConvertToVector512UInt32(h)
            : Vector512.Create(Vector256.WidenLower(h), Vector256.WidenUpper(h));
    }
}
