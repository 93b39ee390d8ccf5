using System.Buffers;
using WeightPort.Fastai;
using WeightPort.Model;

namespace WeightPort.Compute.Cpu;

/// <summary>
/// The eval-mode AWD-LSTM on the CPU (docs/fastai-layouts.md §5). Per layer and direction: one product for the input
/// projections of all timesteps, then per timestep one product <c>h·W_hhᵀ</c> accumulated in place into that
/// timestep's projections and the fused cell kernel. The weights are pinned where they are (a memory-mapped
/// checkpoint stays mapped; the tied decoder reads the embedding); only the summed gate bias is copied.
/// </summary>
internal sealed unsafe class CpuLanguageModelEngine : LanguageModelEngine
{
    /// <summary>From this many batch rows on, the cell update is split over the cores.</summary>
    private const int ParallelCellRows = 8;

    private readonly ISgemm _gemm;
    private readonly List<MemoryHandle> _pins = [];
    private readonly float* _embedding;
    private readonly float* _decoderWeight;
    private readonly float* _decoderBias;
    private readonly Direction[][] _layers;
    private float[] _xproj = [];
    private float[] _bufferA = [];
    private float[] _bufferB = [];
    private int _batchSize;

    /// <summary>One direction of one layer: pinned weights, the summed bias and its hidden state.</summary>
    private sealed class Direction
    {
        public required float* WeightIh;
        public required float* WeightHh;
        public required float[] Bias;
        public required int Input;
        public required int Hidden;
        public float[] H = [];
        public float[] C = [];
    }

    /// <exception cref="ArgumentException">The weights break <see cref="AwdLstmWeights.Validate"/>.</exception>
    public CpuLanguageModelEngine(AwdLstmWeights weights, ISgemm gemm) : base(weights)
    {
        _gemm = gemm;
        AwdLstmConfig cfg = Config;
        try
        {
            _embedding = Pin(weights.Embedding);
            if (weights.HasDecoder)
            {
                _decoderWeight = Pin(weights.EffectiveDecoderWeight);
                if (weights.DecoderBias is { } db) _decoderBias = Pin(db);
            }
            _layers = new Direction[cfg.Layers][];
            for (int l = 0; l < cfg.Layers; l++)
            {
                int input = cfg.LayerInputSize(l), hidden = cfg.LayerHiddenSize(l);
                _layers[l] = new Direction[cfg.Directions];
                for (int d = 0; d < cfg.Directions; d++)
                {
                    LstmDirectionWeights w = weights.Layers[l][d];
                    long gates = 4L * hidden;
                    float* wih = Pin(w.WeightIh);
                    float* whh = Pin(w.WeightHh);
                    var bias = GC.AllocateArray<float>((int)gates, pinned: true);
                    System.Numerics.Tensors.TensorPrimitives.Add(w.BiasIh.Span, w.BiasHh.Span, bias);
                    _layers[l][d] = new Direction { WeightIh = wih, WeightHh = whh, Bias = bias, Input = input, Hidden = hidden };
                }
            }
        }
        catch
        {
            Unpin();
            throw;
        }
    }

    /// <inheritdoc />
    public override int BatchSize => _batchSize;

    private float* Pin(ReadOnlyMemory<float> memory)
    {
        MemoryHandle handle = memory.Pin();
        _pins.Add(handle);
        return (float*)handle.Pointer;
    }

    /// <inheritdoc />
    protected override void ResetCore()
    {
        foreach (Direction[] layer in _layers)
            foreach (Direction d in layer)
            {
                d.H = [];
                d.C = [];
            }
        _batchSize = 0;
    }

    /// <summary>fastai v2 <c>_change_one_hidden</c>: grow ⇒ zero rows appended; shrink ⇒ the first rows kept.</summary>
    private void ResizeState(int batch)
    {
        if (batch == _batchSize) return;
        foreach (Direction[] layer in _layers)
            foreach (Direction d in layer)
            {
                d.H = Resized(d.H, batch * d.Hidden);
                d.C = Resized(d.C, batch * d.Hidden);
            }
        _batchSize = batch;
    }

    private static float[] Resized(float[] state, int length)
    {
        var result = GC.AllocateArray<float>(length, pinned: true);
        state.AsSpan(0, Math.Min(state.Length, length)).CopyTo(result);
        return result;
    }

    private static float[] Scratch(ref float[] buffer, long length)
    {
        if (length > Array.MaxLength) throw new ArgumentException($"a work buffer of {length:N0} floats is too large");
        if (buffer.Length < length) buffer = GC.AllocateUninitializedArray<float>((int)length, pinned: true);
        return buffer;
    }

    /// <inheritdoc />
    protected override void EncodeCore(ReadOnlySpan<int> tokens, int batch, int seq, Span<float> output)
    {
        long rows = (long)batch * seq;
        int emb = Config.EmbSize;
        ResizeState(batch);

        float[] input = Scratch(ref _bufferA, rows * Math.Max(emb, Config.HiddenSize));
        fixed (float* inPtr = input)
        {
            for (int r = 0; r < rows; r++)
                new ReadOnlySpan<float>(_embedding + (long)tokens[r] * emb, emb).CopyTo(new Span<float>(inPtr + (long)r * emb, emb));
        }

        float[] current = input;
        for (int l = 0; l < _layers.Length; l++)
        {
            Direction[] dirs = _layers[l];
            int outWidth = dirs[0].Hidden * dirs.Length;
            bool last = l == _layers.Length - 1;
            float[] next = last ? [] : current == _bufferA ? Scratch(ref _bufferB, rows * outWidth) : Scratch(ref _bufferA, rows * outWidth);
            fixed (float* src = current)
            fixed (float* lastOut = output)
            fixed (float* nextPtr = next)
            {
                float* dst = last ? lastOut : nextPtr;
                for (int d = 0; d < dirs.Length; d++)
                    RunDirection(dirs[d], d, batch, seq, src, dst, outWidth);
            }
            current = next;
        }
    }

    private void RunDirection(Direction dir, int d, int batch, int seq, float* input, float* output, int outWidth)
    {
        int hidden = dir.Hidden, gates = 4 * hidden;
        long rows = (long)batch * seq;
        float[] xproj = Scratch(ref _xproj, rows * gates);
        fixed (float* xp = xproj)
        fixed (float* bias = dir.Bias)
        fixed (float* h = dir.H)
        fixed (float* c = dir.C)
        {
            _gemm.MultiplyTransposed((int)rows, gates, dir.Input, input, dir.Input, dir.WeightIh, dir.Input, null, xp, gates, accumulate: false);
            long stride = (long)seq * gates;
            for (int s = 0; s < seq; s++)
            {
                int t = d == 0 ? s : seq - 1 - s;
                float* z = xp + (long)t * gates;
                _gemm.MultiplyTransposed(batch, gates, hidden, h, hidden, dir.WeightHh, hidden, null, z, checked((int)stride), accumulate: true);
                float* hOut = output + (long)t * outWidth + d * hidden;
                if (batch < ParallelCellRows)
                {
                    LstmCellKernel.Step(batch, hidden, z, stride, bias, c, h, hOut, (long)seq * outWidth);
                    continue;
                }
                // The cell update is a tenth of a step at batch 64; on one core it would leave the other idle.
                nint pz = (nint)z, pbias = (nint)bias, pc = (nint)c, ph = (nint)h, pout = (nint)hOut;
                long outStride = (long)seq * outWidth;
                int halves = Math.Min(Environment.ProcessorCount, batch / (ParallelCellRows / 2));
                Parallel.For(0, halves, part =>
                {
                    int r0 = (int)((long)batch * part / halves), r1 = (int)((long)batch * (part + 1) / halves);
                    LstmCellKernel.Step(r1 - r0, hidden, (float*)pz + r0 * stride, stride, (float*)pbias,
                        (float*)pc + (long)r0 * hidden, (float*)ph + (long)r0 * hidden, (float*)pout + r0 * outStride, outStride);
                });
            }
        }
    }

    /// <inheritdoc />
    protected override void DecodeCore(ReadOnlySpan<float> hidden, int rows, Span<float> logits)
    {
        int emb = Config.EmbSize, vocab = Config.VocabSize;
        fixed (float* a = hidden)
        fixed (float* c = logits)
            _gemm.MultiplyTransposed(rows, vocab, emb, a, emb, _decoderWeight, emb, _decoderBias, c, vocab, accumulate: false);
    }

    private void Unpin()
    {
        foreach (MemoryHandle handle in _pins) handle.Dispose();
        _pins.Clear();
    }

    /// <inheritdoc />
    protected override void DisposeCore() => Unpin();
}
