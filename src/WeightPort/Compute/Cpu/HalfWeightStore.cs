using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using WeightPort.IO;
using WeightPort.Tensors;

namespace WeightPort.Compute.Cpu;

/// <summary>
/// float16 or bfloat16 copies of the weight matrices, in one block of native huge-page memory. Building it checks
/// every value: for <see cref="CpuWeightPrecision.Auto"/> the first value that does not survive the round trip
/// abandons the copy.
/// </summary>
internal sealed unsafe class HalfWeightStore : IDisposable
{
    private const int Chunk = 1 << 18;
    private byte* _block;
    private readonly long[] _offsets;

    private HalfWeightStore(byte* block, long[] offsets, WeightElement element)
    {
        _block = block;
        _offsets = offsets;
        Element = element;
    }

    /// <summary>The storage type: float16 becomes <see cref="WeightElement.FiniteFloat16"/> when no value is an infinity or NaN.</summary>
    public WeightElement Element { get; private set; }

    /// <summary>Values that the conversion changed (0 when exact).</summary>
    public long Rounded { get; private set; }

    /// <summary>Bytes held.</summary>
    public long Bytes => _offsets[^1];

    /// <summary>The copy of matrix <paramref name="index"/>.</summary>
    public ushort* this[int index] => (ushort*)(_block + _offsets[index]);

    /// <summary>
    /// Converts <paramref name="matrices"/> to <paramref name="element"/> (float16 or bfloat16). With <paramref name="exactOnly"/>, returns
    /// null (and frees what it built) as soon as a value would change, reporting in <paramref name="firstInexact"/>
    /// which matrix held it. A matrix read in place from a mapped file leaves the resident set once converted.
    /// </summary>
    public static HalfWeightStore? Create(IReadOnlyList<ReadOnlyMemory<float>> matrices, WeightElement element, bool exactOnly, out int firstInexact)
    {
        var offsets = new long[matrices.Count + 1];
        for (int i = 0; i < matrices.Count; i++) offsets[i + 1] = offsets[i] + ((matrices[i].Length * 2L + 63) & ~63L);
        byte* block = NativePages.AllocateHuge(offsets[^1]);
        var store = new HalfWeightStore(block, offsets, element);
        int inexactAt = int.MaxValue;
        long rounded = 0;
        bool anyNonFinite = false;
        try
        {
            for (int i = 0; i < matrices.Count && inexactAt == int.MaxValue; i++)
            {
                ReadOnlyMemory<float> source = matrices[i];
                nint target = (nint)store[i];
                int chunks = (source.Length + Chunk - 1) / Chunk;
                int matrix = i;
                Parallel.For(0, chunks, () => 0L, (c, state, local) =>
                {
                    int start = c * Chunk, length = Math.Min(Chunk, source.Length - start);
                    long changed = Convert(source.Span.Slice(start, length), (ushort*)target + start, element, exactOnly, out bool nonFinite);
                    if (nonFinite) Volatile.Write(ref anyNonFinite, true);
                    if (changed > 0 && exactOnly)
                    {
                        InterlockedMin(ref inexactAt, matrix);
                        state.Stop();
                    }
                    return local + changed;
                }, local => Interlocked.Add(ref rounded, local));
                MappedFloatMemory.DropResidentPages(source);
            }
        }
        catch
        {
            store.Dispose();
            throw;
        }
        firstInexact = inexactAt == int.MaxValue ? -1 : inexactAt;
        if (exactOnly && firstInexact >= 0)
        {
            store.Dispose();
            return null;
        }
        store.Rounded = rounded;
        if (element == WeightElement.Float16 && !anyNonFinite) store.Element = WeightElement.FiniteFloat16;
        return store;
    }

    private static void InterlockedMin(ref int target, int value)
    {
        int seen;
        while (value < (seen = Volatile.Read(ref target)) && Interlocked.CompareExchange(ref target, value, seen) != seen)
        {
        }
    }

    /// <summary>
    /// Writes <paramref name="source"/> as <paramref name="element"/> and returns how many values changed; with
    /// <paramref name="exactOnly"/> it may stop at the first change (returning a positive count). For float16,
    /// <paramref name="nonFinite"/> says whether a stored value is an infinity or NaN (a large value rounds to one).
    /// </summary>
    private static long Convert(ReadOnlySpan<float> source, ushort* target, WeightElement element, bool exactOnly, out bool nonFinite)
    {
        var bits = MemoryMarshal.Cast<float, uint>(source);
        long changed = 0;
        nonFinite = false;
        if (element == WeightElement.Float16)
        {
            if (exactOnly) return ExactFloat16(bits, target, out nonFinite) ? 0 : 1;
            var half = new Span<Half>(target, source.Length);
            TensorPrimitives.ConvertToHalf(source, half);
            for (int i = 0; i < source.Length; i++)
            {
                float back = (float)half[i];
                if (BitConverter.SingleToUInt32Bits(back) != bits[i]) changed++;
                if (!float.IsFinite(back)) nonFinite = true;
            }
            return changed;
        }
        for (int i = 0; i < bits.Length; i++)
        {
            uint b = bits[i];
            // Round to nearest even; a NaN stays a (quiet) NaN.
            uint r = float.IsNaN(source[i]) ? (b >> 16) | 0x40 : (b + 0x7FFF + ((b >> 16) & 1)) >> 16;
            target[i] = (ushort)r;
            if (r << 16 != b) changed++;
        }
        return changed;
    }

    /// <summary>
    /// Converts values that float16 holds exactly, in one pass: a zero, or a float32 whose exponent lies in float16's
    /// normal range and whose 13 low mantissa bits are zero, is a bit shuffle away from its float16. Vectors with
    /// anything else (subnormals, infinities, NaNs, inexact values) go through the scalar conversion and its check.
    /// </summary>
    /// <returns>False at the first value that float16 cannot hold exactly.</returns>
    private static bool ExactFloat16(ReadOnlySpan<uint> bits, ushort* target, out bool nonFinite)
    {
        int i = 0;
        nonFinite = false;
        fixed (uint* src = bits)
        {
            if (Vector512.IsHardwareAccelerated)
            {
                for (; i + 32 <= bits.Length; i += 32)
                {
                    Vector512<uint> lo = Vector512.Load(src + i), hi = Vector512.Load(src + i + 16);
                    if (!Simple(lo, out Vector512<uint> hlo) || !Simple(hi, out Vector512<uint> hhi))
                    {
                        if (!ScalarExact(src + i, target + i, 32, ref nonFinite)) return false;
                        continue;
                    }
                    Vector512.Narrow(hlo, hhi).Store(target + i);
                }
            }
            return ScalarExact(src + i, target + i, bits.Length - i, ref nonFinite);
        }
    }

    /// <summary>Zero or exact normal float16 values: their float16 bits; false when any lane is something else.</summary>
    private static bool Simple(Vector512<uint> bits, out Vector512<uint> half)
    {
        Vector512<uint> magnitude = bits & Vector512.Create(0x7FFFFFFFu);
        Vector512<uint> zero = Vector512.Equals(magnitude, Vector512<uint>.Zero);
        // Exponent field 113 … 142 (float16's 1 … 30) and nothing in the 13 bits float16 drops.
        Vector512<uint> inRange = Vector512.GreaterThanOrEqual(magnitude, Vector512.Create(113u << 23))
            & Vector512.LessThan(magnitude, Vector512.Create(143u << 23))
            & Vector512.Equals(magnitude & Vector512.Create(0x1FFFu), Vector512<uint>.Zero);
        half = ((bits >> 16) & Vector512.Create(0x8000u)) | Vector512.AndNot((magnitude - Vector512.Create(112u << 23)) >> 13, zero);
        return Vector512.EqualsAll(zero | inRange, Vector512<uint>.AllBitsSet);
    }

    // The vector path takes zeros and normals only, so an infinity or NaN always comes through here.
    private static bool ScalarExact(uint* src, ushort* target, int n, ref bool nonFinite)
    {
        for (int j = 0; j < n; j++)
        {
            float f = BitConverter.UInt32BitsToSingle(src[j]);
            if (!float.IsFinite(f)) nonFinite = true;
            Half h = (Half)f;
            if (BitConverter.SingleToUInt32Bits((float)h) != src[j]) return false;
            target[j] = BitConverter.HalfToUInt16Bits(h);
        }
        return true;
    }

    /// <summary>Frees the block.</summary>
    public void Dispose()
    {
        if (_block == null) return;
        NativePages.Free(_block);
        _block = null;
    }
}
