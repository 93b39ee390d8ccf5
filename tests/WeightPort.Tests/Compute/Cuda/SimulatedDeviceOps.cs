using WeightPort.Compute.Cuda;

namespace WeightPort.Tests.Compute.Cuda;

/// <summary>
/// A CPU stand-in for a GPU that runs <see cref="CudaLanguageModelEngine"/>'s schedule: device memory is a set of
/// float arrays at far-apart fake addresses (so pointer arithmetic past an allocation is caught), fresh allocations are
/// NaN (so a read of memory the engine never wrote poisons the output), GEMMs follow cuBLAS's column-major contract
/// (<see cref="ColumnMajorSgemm"/>), and the kernels are line-by-line ports of <c>kernels.cu</c> with their
/// <c>__restrict__</c> (no-overlap) promises checked.
/// </summary>
internal sealed class SimulatedDeviceOps : IDeviceOps
{
    private const int Spacing = 36; // 64 GiB between allocations
    private readonly SortedDictionary<ulong, float[]> _memory = [];
    private ulong _next = 1UL << Spacing;

    public int LiveAllocations => _memory.Count;

    public long LiveBytes => _memory.Values.Sum(a => (long)a.Length * sizeof(float));

    public List<string> Log { get; } = [];

    public bool Disposed { get; private set; }

    public void MakeCurrent()
    {
        if (Disposed) throw new ObjectDisposedException(nameof(SimulatedDeviceOps));
    }

    public ulong Allocate(long bytes)
    {
        if (bytes <= 0 || bytes % sizeof(float) != 0) throw new InvalidOperationException($"odd allocation of {bytes} bytes");
        ulong address = _next;
        _next += 1UL << Spacing;
        var block = new float[bytes / sizeof(float)];
        Array.Fill(block, float.NaN);
        _memory.Add(address, block);
        return address;
    }

    public void Free(ulong pointer)
    {
        if (!_memory.Remove(pointer)) throw new InvalidOperationException($"free of 0x{pointer:X} which is not an allocation");
    }

    public void Upload(ReadOnlySpan<float> source, ulong destination) => source.CopyTo(Resolve(destination, source.Length));

    public void Upload(ReadOnlySpan<int> source, ulong destination)
    {
        Span<float> target = Resolve(destination, source.Length);
        for (int i = 0; i < source.Length; i++) target[i] = BitConverter.Int32BitsToSingle(source[i]);
    }

    public void Download(ulong source, Span<float> destination, int eventAfter) => Resolve(source, destination.Length).CopyTo(destination);

    public void Zero(ulong destination, long count) => Resolve(destination, count).Clear();

    public void Gemm(in GemmCall call, ulong a, ulong b, ulong c)
    {
        Log.Add("gemm");
        RunGemm(call, a, b, c);
    }

    public void GemmStridedBatched(in GemmCall call, ulong a, long strideA, ulong b, long strideB, ulong c, long strideC, int count)
    {
        Log.Add("gemm-strided-batched");
        for (int i = 0; i < count; i++)
            RunGemm(call, a + (ulong)(i * strideA * sizeof(float)), b + (ulong)(i * strideB * sizeof(float)), c + (ulong)(i * strideC * sizeof(float)));
    }

    public void EmbeddingGather(ulong tokens, ulong table, ulong output, int batch, int seq, int emb)
    {
        Log.Add(KernelNames.EmbeddingGather);
        long total = (long)batch * seq * emb;
        Span<float> tok = Resolve(tokens, (long)batch * seq), outp = Resolve(output, total);
        NoOverlap(tokens, (long)batch * seq, output, total);
        for (long i = 0; i < total; i++)
        {
            long row = i / emb;
            int e = (int)(i - row * emb);
            int t = (int)(row / batch);
            int b = (int)(row - (long)t * batch);
            int token = BitConverter.SingleToInt32Bits(tok[(int)((long)b * seq + t)]);
            outp[(int)i] = Resolve(table + (ulong)(((long)token * emb + e) * sizeof(float)), 1)[0];
        }
    }

    public void LstmGates(ulong xproj, int xprojStride, ulong hproj, ulong biasIh, ulong biasHh, ulong h, ulong c, ulong output, int batch, int hidden, int directions, int seq, int t)
    {
        Log.Add(KernelNames.LstmGates);
        long perDirection = (long)batch * hidden, total = perDirection * directions;
        Span<float> hs = Resolve(h, total), cs = Resolve(c, total);
        long outCount = (long)seq * batch * directions * hidden;
        Span<float> outp = Resolve(output, outCount);
        NoOverlap(h, total, c, total, output, outCount, hproj, (long)directions * batch * 4 * hidden, xproj, (long)seq * batch * xprojStride);
        for (long i = 0; i < total; i++)
        {
            int d = (int)(i / perDirection);
            long r = i - d * perDirection;
            int b = (int)(r / hidden);
            int j = (int)(r - (long)b * hidden);
            int td = d == 0 ? t : seq - 1 - t;

            Span<float> xp = Resolve(xproj + Bytes(((long)td * batch + b) * xprojStride + (long)d * 4 * hidden), 4L * hidden);
            Span<float> hp = Resolve(hproj + Bytes(((long)d * batch + b) * 4 * hidden), 4L * hidden);
            Span<float> bi = Resolve(biasIh + Bytes((long)d * 4 * hidden), 4L * hidden);
            Span<float> bh = Resolve(biasHh + Bytes((long)d * 4 * hidden), 4L * hidden);

            float gi = (xp[j] + bi[j]) + (hp[j] + bh[j]);
            float gf = (xp[hidden + j] + bi[hidden + j]) + (hp[hidden + j] + bh[hidden + j]);
            float gg = (xp[2 * hidden + j] + bi[2 * hidden + j]) + (hp[2 * hidden + j] + bh[2 * hidden + j]);
            float go = (xp[3 * hidden + j] + bi[3 * hidden + j]) + (hp[3 * hidden + j] + bh[3 * hidden + j]);

            float ig = Sigmoid(gi), fg = Sigmoid(gf), cg = MathF.Tanh(gg), og = Sigmoid(go);
            long s = d * perDirection + (long)b * hidden + j;
            float cn = fg * cs[(int)s] + ig * cg;
            float hn = og * MathF.Tanh(cn);
            cs[(int)s] = cn;
            hs[(int)s] = hn;
            outp[(int)(((long)td * batch + b) * directions * hidden + (long)d * hidden + j)] = hn;
        }
    }

    public void AddRowBias(ulong data, ulong bias, int rows, int cols)
    {
        Log.Add(KernelNames.AddRowBias);
        long total = (long)rows * cols;
        Span<float> values = Resolve(data, total), b = Resolve(bias, cols);
        NoOverlap(data, total, bias, cols);
        for (long i = 0; i < total; i++) values[(int)i] += b[(int)(i % cols)];
    }

    public void TimeToBatchMajor(ulong source, ulong destination, int seq, int batch, int width)
    {
        Log.Add(KernelNames.TimeToBatchMajor);
        long total = (long)seq * batch * width;
        Span<float> src = Resolve(source, total), dst = Resolve(destination, total);
        NoOverlap(source, total, destination, total);
        for (long i = 0; i < total; i++)
        {
            long row = i / width;
            int w = (int)(i - row * width);
            int b = (int)(row / seq);
            int t = (int)(row - (long)b * seq);
            dst[(int)i] = src[(int)(((long)t * batch + b) * width + w)];
        }
    }

    public void ResizeState(ulong source, ulong destination, int oldBatch, int newBatch, int hidden, int directions)
    {
        Log.Add(KernelNames.ResizeState);
        long perDirection = (long)newBatch * hidden, total = perDirection * directions;
        Span<float> src = Resolve(source, (long)directions * oldBatch * hidden), dst = Resolve(destination, total);
        NoOverlap(source, (long)directions * oldBatch * hidden, destination, total);
        for (long i = 0; i < total; i++)
        {
            int d = (int)(i / perDirection);
            long r = i - d * perDirection;
            int b = (int)(r / hidden);
            int j = (int)(r - (long)b * hidden);
            dst[(int)i] = b < oldBatch ? src[(int)(((long)d * oldBatch + b) * hidden + j)] : 0f;
        }
    }

    public void RecordEvent(int index)
    {
        if (index is < 0 or > 3) throw new ArgumentOutOfRangeException(nameof(index));
    }

    public double ElapsedMilliseconds(int from, int to) => 0;

    public void Dispose() => Disposed = true;

    /// <summary>The floats of device memory at <paramref name="address"/>, failing outside an allocation.</summary>
    public Span<float> Resolve(ulong address, long count)
    {
        foreach ((ulong start, float[] block) in _memory)
        {
            if (address < start || address >= start + (ulong)block.Length * sizeof(float)) continue;
            ulong offset = address - start;
            if (offset % sizeof(float) != 0) throw new InvalidOperationException($"misaligned address 0x{address:X}");
            long index = (long)(offset / sizeof(float));
            if (index + count > block.Length)
                throw new InvalidOperationException($"access of {count} floats at 0x{address:X} runs past the allocation at 0x{start:X} ({block.Length} floats, from index {index})");
            return block.AsSpan((int)index, (int)count);
        }
        throw new InvalidOperationException($"address 0x{address:X} is not in any allocation");
    }

    private void RunGemm(in GemmCall call, ulong a, ulong b, ulong c)
    {
        long ea = ColumnMajorSgemm.ExtentA(call), eb = ColumnMajorSgemm.ExtentB(call), ec = ColumnMajorSgemm.ExtentC(call);
        // cuBLAS requires C not to alias A or B.
        NoOverlap(c, ec, a, ea);
        NoOverlap(c, ec, b, eb);
        ColumnMajorSgemm.Run(call, 1f, Resolve(a, ea), Resolve(b, eb), 0f, Resolve(c, ec));
    }

    private static void NoOverlap(params (ulong Address, long Count)[] ranges)
    {
        for (int i = 0; i < ranges.Length; i++)
            for (int j = i + 1; j < ranges.Length; j++)
            {
                ulong ai = ranges[i].Address, aj = ranges[j].Address;
                ulong ei = ai + (ulong)ranges[i].Count * sizeof(float), ej = aj + (ulong)ranges[j].Count * sizeof(float);
                if (ai < ej && aj < ei) throw new InvalidOperationException($"__restrict__ operands overlap: 0x{ai:X}+{ranges[i].Count} and 0x{aj:X}+{ranges[j].Count}");
            }
    }

    private static void NoOverlap(ulong a, long na, ulong b, long nb) => NoOverlap((a, na), (b, nb));

    private static void NoOverlap(ulong a, long na, ulong b, long nb, ulong c, long nc, ulong d, long nd, ulong e, long ne) =>
        NoOverlap((a, na), (b, nb), (c, nc), (d, nd), (e, ne));

    private static ulong Bytes(long floats) => (ulong)(floats * sizeof(float));

    private static float Sigmoid(float x) => 1f / (1f + MathF.Exp(-x));
}
