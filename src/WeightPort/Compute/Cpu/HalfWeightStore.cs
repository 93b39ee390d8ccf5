using System.Numerics.Tensors;
using System.Runtime.InteropServices;
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

    /// <summary>The storage type.</summary>
    public WeightElement Element { get; }

    /// <summary>Values that the conversion changed (0 when exact).</summary>
    public long Rounded { get; private set; }

    /// <summary>Bytes held.</summary>
    public long Bytes => _offsets[^1];

    /// <summary>The copy of matrix <paramref name="index"/>.</summary>
    public ushort* this[int index] => (ushort*)(_block + _offsets[index]);

    /// <summary>
    /// Converts <paramref name="matrices"/> to <paramref name="element"/>. With <paramref name="exactOnly"/>, returns
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
                    long changed = Convert(source.Span.Slice(start, length), (ushort*)target + start, element);
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
        return store;
    }

    private static void InterlockedMin(ref int target, int value)
    {
        int seen;
        while (value < (seen = Volatile.Read(ref target)) && Interlocked.CompareExchange(ref target, value, seen) != seen)
        {
        }
    }

    /// <summary>Writes <paramref name="source"/> as <paramref name="element"/> and returns how many values changed.</summary>
    private static long Convert(ReadOnlySpan<float> source, ushort* target, WeightElement element)
    {
        var bits = MemoryMarshal.Cast<float, uint>(source);
        long changed = 0;
        if (element == WeightElement.Float16)
        {
            var half = new Span<Half>(target, source.Length);
            TensorPrimitives.ConvertToHalf(source, half);
            Span<float> back = stackalloc float[1024];
            for (int s = 0; s < source.Length; s += back.Length)
            {
                int n = Math.Min(back.Length, source.Length - s);
                TensorPrimitives.ConvertToSingle(half.Slice(s, n), back[..n]);
                if (MemoryMarshal.Cast<float, uint>(back[..n]).SequenceEqual(bits.Slice(s, n))) continue;
                var backBits = MemoryMarshal.Cast<float, uint>(back[..n]);
                for (int i = 0; i < n; i++) if (backBits[i] != bits[s + i]) changed++;
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

    /// <summary>Frees the block.</summary>
    public void Dispose()
    {
        if (_block == null) return;
        NativePages.Free(_block);
        _block = null;
    }
}
