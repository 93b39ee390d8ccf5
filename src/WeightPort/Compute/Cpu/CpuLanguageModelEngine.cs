using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
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
    private readonly HalfWeightStore? _store;
    private readonly WeightView _embedding;
    private readonly WeightView _decoderWeight;
    private readonly float* _decoderBias;
    private readonly Direction[][] _layers;
    private float[] _xproj = [];
    private float[] _recurrent = [];
    private float[] _bufferA = [];
    private float[] _bufferB = [];
    private int _batchSize;

    /// <summary>One direction of one layer: the weights, the summed bias and its hidden state.</summary>
    private sealed class Direction
    {
        public required WeightView WeightIh;
        public required WeightView WeightHh;
        public required float[] Bias;
        public required int Input;
        public required int Hidden;
        public float[] H = [];
        public float[] C = [];
    }

    /// <summary>The cell update of one timestep, its batch rows split into <c>parts</c> blocks.</summary>
    private sealed class CellWork(int batch, int parts, int hidden, nint z, long stride, nint bias, nint c, nint h, nint hOut, long outStride) : TeamWork
    {
        public override void Run(int part)
        {
            int r0 = (int)((long)batch * part / parts), r1 = (int)((long)batch * (part + 1) / parts);
            LstmCellKernel.Step(r1 - r0, hidden, (float*)z + r0 * stride, stride, (float*)bias,
                (float*)c + (long)r0 * hidden, (float*)h + (long)r0 * hidden, (float*)hOut + r0 * outStride, outStride);
        }
    }

    /// <exception cref="ArgumentException">The weights break <see cref="AwdLstmWeights.Validate"/>, or <paramref name="precision"/> asks for a storage <paramref name="gemm"/> cannot multiply.</exception>
    public CpuLanguageModelEngine(AwdLstmWeights weights, ISgemm gemm, CpuWeightPrecision precision = CpuWeightPrecision.Float32) : base(weights)
    {
        _gemm = gemm;
        AwdLstmConfig cfg = Config;
        try
        {
            // Matrix order: embedding, [decoder], then per layer and direction W_ih, W_hh.
            var matrices = new List<ReadOnlyMemory<float>> { weights.Embedding };
            bool ownDecoder = weights.HasDecoder && weights.DecoderWeight is not null;
            if (ownDecoder) matrices.Add(weights.EffectiveDecoderWeight);
            foreach (var layer in weights.Layers)
                foreach (var d in layer)
                {
                    matrices.Add(d.WeightIh);
                    matrices.Add(d.WeightHh);
                }
            (_store, WeightStorage) = Store(matrices, precision, gemm);
            int next = 0;
            WeightView View(int ld) => _store is { } store
                ? new WeightView(store[next], ld, store.Element)
                : WeightView.Float32(Pin(matrices[next]), ld);
            WeightView Take(int ld)
            {
                WeightView v = View(ld);
                next++;
                return v;
            }
            _embedding = Take(cfg.EmbSize);
            if (weights.HasDecoder)
            {
                _decoderWeight = ownDecoder ? Take(cfg.EmbSize) : _embedding;
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
                    WeightView wih = Take(input);
                    WeightView whh = Take(hidden);
                    var bias = GC.AllocateArray<float>(4 * hidden, pinned: true);
                    System.Numerics.Tensors.TensorPrimitives.Add(w.BiasIh.Span, w.BiasHh.Span, bias);
                    _layers[l][d] = new Direction { WeightIh = wih, WeightHh = whh, Bias = bias, Input = input, Hidden = hidden };
                }
            }
        }
        catch
        {
            Unpin();
            _store?.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public override string WeightStorage { get; }

    /// <summary>Decides the storage and builds the reduced-precision copy when there is one.</summary>
    private static (HalfWeightStore? Store, string Description) Store(List<ReadOnlyMemory<float>> matrices, CpuWeightPrecision precision, ISgemm gemm)
    {
        switch (precision)
        {
            case CpuWeightPrecision.Float32:
                return (null, "float32 (as asked)");
            case CpuWeightPrecision.Auto:
                if (gemm is not ManagedSgemm || !ManagedSgemm.IsVector512)
                    return (null, "float32 (float16 storage needs the managed AVX-512 kernels)");
                var exact = HalfWeightStore.Create(matrices, WeightElement.Float16, exactOnly: true, out int inexact);
                return exact is null
                    ? (null, $"float32 (weight matrix {inexact} of {matrices.Count} has values float16 cannot hold exactly)")
                    : (exact, "float16 (every weight is exact in float16: results bitwise equal to float32)");
            case CpuWeightPrecision.Float16:
            case CpuWeightPrecision.BFloat16:
                var element = precision == CpuWeightPrecision.Float16 ? WeightElement.Float16 : WeightElement.BFloat16;
                if (!gemm.Supports(element)) throw new ArgumentException($"{element} weights need the managed kernels (CpuBlas.Managed)", nameof(precision));
                var store = HalfWeightStore.Create(matrices, element, exactOnly: false, out _)!;
                string name = element == WeightElement.Float16 ? "float16" : "bfloat16";
                return (store, store.Rounded == 0
                    ? $"{name} (as asked; every weight exact)"
                    : $"{name} (as asked; lossy: {store.Rounded:N0} of {matrices.Sum(m => (long)m.Length):N0} weights rounded)");
            default:
                throw new ArgumentOutOfRangeException(nameof(precision), precision, "unknown CpuWeightPrecision value");
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
            {
                var target = new Span<float>(inPtr + (long)r * emb, emb);
                byte* row = _embedding.Row(tokens[r]);
                switch (_embedding.Element)
                {
                    case WeightElement.Float32: new ReadOnlySpan<float>(row, emb).CopyTo(target); break;
                    case WeightElement.Float16 or WeightElement.FiniteFloat16: System.Numerics.Tensors.TensorPrimitives.ConvertToSingle(new ReadOnlySpan<Half>(row, emb), target); break;
                    default:
                        for (int i = 0; i < emb; i++) target[i] = BitConverter.Int32BitsToSingle(((ushort*)row)[i] << 16);
                        break;
                }
            }
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
            long stride = (long)seq * gates;
            if (seq == 1 && _gemm is ManagedSgemm managed)
            {
                // One timestep: both products in one hand-off to the cores (bitwise the two calls below).
                managed.MultiplyTransposedPair(
                    new TileProduct((int)rows, gates, dir.Input, (nint)input, dir.Input, dir.WeightIh, 0, (nint)xp, gates, Accumulate: false),
                    new TileProduct(batch, gates, hidden, (nint)h, hidden, dir.WeightHh, 0, (nint)xp, gates, Accumulate: true));
            }
            else _gemm.MultiplyTransposed((int)rows, gates, dir.Input, input, dir.Input, dir.WeightIh, null, xp, gates, accumulate: false);
            WeightView whh = dir.WeightHh;
            float* panels = null;
            if (seq > 1 && batch >= Vector512Sgemm.BlockRows && _gemm is ManagedSgemm && ManagedSgemm.IsVector512)
            {
                // Every timestep multiplies by the same recurrent matrix: pack it once per call, not once per step.
                float[] packed = Scratch(ref _recurrent, (long)(gates + Vector512Sgemm.TileN - 1) / Vector512Sgemm.TileN * Vector512Sgemm.TileN * hidden);
                panels = (float*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(packed)); // pinned: its address is stable
                ManagedSgemm.Instance.Pack(whh, gates, hidden, panels);
            }
            for (int s = 0; s < seq; s++)
            {
                int t = d == 0 ? s : seq - 1 - s;
                float* z = xp + (long)t * gates;
                if (panels != null) ManagedSgemm.Instance.MultiplyPacked(batch, gates, hidden, h, hidden, panels, null, z, checked((int)stride), accumulate: true);
                else if (seq > 1 || _gemm is not ManagedSgemm)
                    _gemm.MultiplyTransposed(batch, gates, hidden, h, hidden, whh, null, z, checked((int)stride), accumulate: true);
                float* hOut = output + (long)t * outWidth + d * hidden;
                if (batch < ParallelCellRows)
                {
                    LstmCellKernel.Step(batch, hidden, z, stride, bias, c, h, hOut, (long)seq * outWidth);
                    continue;
                }
                // The cell update is a tenth of a step at batch 64; on one core it would leave the other idle.
                int parts = Math.Min(Environment.ProcessorCount, batch / (ParallelCellRows / 2));
                CoreTeam.Shared.Run(new CellWork(batch, parts, hidden, (nint)z, stride, (nint)bias, (nint)c, (nint)h, (nint)hOut, (long)seq * outWidth), parts);
            }
        }
    }

    /// <inheritdoc />
    protected override void DecodeCore(ReadOnlySpan<float> hidden, int rows, Span<float> logits)
    {
        int emb = Config.EmbSize, vocab = Config.VocabSize;
        fixed (float* a = hidden)
        fixed (float* c = logits)
            _gemm.MultiplyTransposed(rows, vocab, emb, a, emb, _decoderWeight, _decoderBias, c, vocab, accumulate: false);
    }

    private void Unpin()
    {
        foreach (MemoryHandle handle in _pins) handle.Dispose();
        _pins.Clear();
    }

    /// <inheritdoc />
    protected override void DisposeCore()
    {
        Unpin();
        _store?.Dispose();
    }
}
