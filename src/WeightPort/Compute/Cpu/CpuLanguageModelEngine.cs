using System.Buffers;
using WeightPort.Model;

namespace WeightPort.Compute.Cpu;

/// <summary>
/// The eval-mode AWD-LSTM on the CPU (fastai-layouts.md §5). Per layer and direction: one product for the input
/// projections of all timesteps, then per timestep one product <c>h·W_hhᵀ</c> accumulated in place into that
/// timestep's projections and the fused cell kernel. The weights are pinned where they are (a memory-mapped
/// checkpoint stays mapped; the tied decoder reads the embedding); only the summed gate bias is copied.
/// </summary>
internal sealed unsafe class CpuLanguageModelEngine : ILanguageModelEngine
{
    /// <summary>From this many batch rows on, the cell update is split over the cores.</summary>
    private const int ParallelCellRows = 8;

    private readonly AwdLstmConfig _config;
    private readonly ISgemm _gemm;
    private readonly List<MemoryHandle> _pins = [];
    private readonly float* _embedding;
    private readonly float* _decoderWeight;
    private readonly float* _decoderBias;
    private readonly Direction[][] _layers;
    private float[] _xproj = [];
    private float[] _bufferA = [];
    private float[] _bufferB = [];
    private bool _disposed;

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

    public CpuLanguageModelEngine(AwdLstmWeights weights, ISgemm gemm)
    {
        ArgumentNullException.ThrowIfNull(weights);
        _config = weights.Config;
        _gemm = gemm;
        AwdLstmConfig cfg = _config;
        if (cfg.VocabSize <= 0 || cfg.EmbSize <= 0 || cfg.HiddenSize <= 0 || cfg.Layers <= 0)
            throw new ArgumentException($"AWD-LSTM config {cfg} has a non-positive size", nameof(weights));
        if (weights.Layers.Count != cfg.Layers)
            throw new ArgumentException($"config has {cfg.Layers} layers but the weights have {weights.Layers.Count}", nameof(weights));
        try
        {
            _embedding = Pin(weights.Embedding, (long)cfg.VocabSize * cfg.EmbSize, "embedding");
            if (weights.HasDecoder)
            {
                _decoderWeight = Pin(weights.EffectiveDecoderWeight, (long)cfg.VocabSize * cfg.EmbSize, "decoder weight");
                if (weights.DecoderBias is { } db) _decoderBias = Pin(db, cfg.VocabSize, "decoder bias");
            }
            _layers = new Direction[cfg.Layers][];
            for (int l = 0; l < cfg.Layers; l++)
            {
                int input = cfg.LayerInputSize(l), hidden = cfg.LayerHiddenSize(l);
                int width = l == cfg.Layers - 1 ? cfg.EmbSize : cfg.HiddenSize;
                if (hidden <= 0 || hidden * cfg.Directions != width)
                    throw new ArgumentException($"layer {l} has hidden size {hidden} per direction, which does not make {width} over {cfg.Directions} direction(s)", nameof(weights));
                if (weights.Layers[l].Count != cfg.Directions)
                    throw new ArgumentException($"layer {l} has {weights.Layers[l].Count} directions, config says {cfg.Directions}", nameof(weights));
                _layers[l] = new Direction[cfg.Directions];
                for (int d = 0; d < cfg.Directions; d++)
                {
                    LstmDirectionWeights w = weights.Layers[l][d];
                    string name = $"layer {l} direction {d}";
                    long gates = 4L * hidden;
                    float* wih = Pin(w.WeightIh, gates * input, name + " weight_ih");
                    float* whh = Pin(w.WeightHh, gates * hidden, name + " weight_hh");
                    Check(w.BiasIh, gates, name + " bias_ih");
                    Check(w.BiasHh, gates, name + " bias_hh");
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
    public int BatchSize { get; private set; }

    private static void Check(ReadOnlyMemory<float> memory, long expected, string what)
    {
        if (memory.Length != expected)
            throw new ArgumentException($"{what} has {memory.Length:N0} floats, {expected:N0} expected", "weights");
    }

    private float* Pin(ReadOnlyMemory<float> memory, long expected, string what)
    {
        Check(memory, expected, what);
        MemoryHandle handle = memory.Pin();
        _pins.Add(handle);
        return (float*)handle.Pointer;
    }

    /// <inheritdoc />
    public void Reset()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        foreach (Direction[] layer in _layers)
            foreach (Direction d in layer)
            {
                d.H = [];
                d.C = [];
            }
        BatchSize = 0;
    }

    /// <summary>fastai v2 <c>_change_one_hidden</c>: grow ⇒ zero rows appended; shrink ⇒ the first rows kept.</summary>
    private void ResizeState(int batch)
    {
        if (batch == BatchSize) return;
        foreach (Direction[] layer in _layers)
            foreach (Direction d in layer)
            {
                d.H = Resized(d.H, batch * d.Hidden);
                d.C = Resized(d.C, batch * d.Hidden);
            }
        BatchSize = batch;
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
    public void Encode(ReadOnlySpan<int> tokens, int batch, int seq, Span<float> output)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentOutOfRangeException.ThrowIfNegative(batch);
        ArgumentOutOfRangeException.ThrowIfNegative(seq);
        long rows = (long)batch * seq;
        if (tokens.Length != rows)
            throw new ArgumentException($"{tokens.Length:N0} tokens given for batch {batch} × seq {seq}", nameof(tokens));
        if (output.Length != rows * _config.EmbSize)
            throw new ArgumentException($"output holds {output.Length:N0} floats, {rows * _config.EmbSize:N0} needed", nameof(output));
        int vocab = _config.VocabSize, emb = _config.EmbSize;
        foreach (int t in tokens)
            if ((uint)t >= (uint)vocab) throw new ArgumentOutOfRangeException(nameof(tokens), t, $"token id outside the vocabulary of {vocab:N0}");

        ResizeState(batch);
        if (rows == 0) return;

        float[] input = Scratch(ref _bufferA, rows * Math.Max(emb, _config.HiddenSize));
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
    public void Decode(ReadOnlySpan<float> hidden, int rows, Span<float> logits)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_decoderWeight == null) throw new InvalidOperationException("these weights have no decoder (a classifier or an encoder)");
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        int emb = _config.EmbSize, vocab = _config.VocabSize;
        if (hidden.Length != (long)rows * emb)
            throw new ArgumentException($"hidden holds {hidden.Length:N0} floats, {(long)rows * emb:N0} expected", nameof(hidden));
        if (logits.Length != (long)rows * vocab)
            throw new ArgumentException($"logits holds {logits.Length:N0} floats, {(long)rows * vocab:N0} expected", nameof(logits));
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
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        Unpin();
    }
}
