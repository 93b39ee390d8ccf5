using WeightPort.Model;

namespace WeightPort.Compute.Cuda;

/// <summary>
/// The AWD-LSTM forward pass on a CUDA device. Weights are uploaded once (a tied decoder reuses the embedding on the
/// device); the hidden state stays on the device between calls. Per layer: ONE GEMM projects the inputs of all timesteps
/// (both directions), then each timestep runs one GEMM <c>h·W_hhᵀ</c> (strided-batched over directions) and one fused
/// gate kernel; a reverse direction walks its timesteps from the end. Not thread-safe: one caller at a time.
/// </summary>
internal sealed class CudaLanguageModelEngine : LanguageModelEngine
{
    private const int FloatSize = sizeof(float);

    private readonly IDeviceOps _ops;
    private readonly CudaLayer[] _layers;
    private readonly ulong _embedding;
    private readonly ulong _decoderWeight;
    private readonly ulong _decoderBias;
    private readonly Dictionary<ulong, long> _allocations = [];
    private readonly DeviceWorkspace _tokens = new(), _sequenceA = new(), _sequenceB = new(), _xproj = new(), _hproj = new();
    private readonly DeviceWorkspace _decodeInput = new(), _decodeOutput = new();
    private readonly Action<CudaLanguageModelEngine>? _onDispose;
    private int _batchSize;

    /// <summary>Validates <paramref name="weights"/> against their config and uploads them.</summary>
    /// <exception cref="ArgumentException">An array's length does not match the config, or the layers do not chain.</exception>
    internal CudaLanguageModelEngine(IDeviceOps ops, AwdLstmWeights weights, Action<CudaLanguageModelEngine>? onDispose = null)
        : base(ValidatedOrDisposed(weights, ops))
    {
        _ops = ops;
        _onDispose = onDispose;
        int directions = Config.Directions;
        try
        {
            _ops.MakeCurrent();
            _embedding = UploadWeight(weights.Embedding.Span);
            _decoderWeight = weights.DecoderWeight is { } untied ? UploadWeight(untied.Span) : _embedding;
            _decoderBias = weights.DecoderBias is { } bias ? UploadWeight(bias.Span) : 0;

            _layers = new CudaLayer[Config.Layers];
            for (int l = 0; l < Config.Layers; l++)
            {
                int input = Config.LayerInputSize(l), hidden = Config.LayerHiddenSize(l);
                long gates = 4L * hidden;
                ulong wih = Allocate(directions * gates * input), whh = Allocate(directions * gates * hidden);
                ulong bih = Allocate(directions * gates), bhh = Allocate(directions * gates);
                for (int d = 0; d < directions; d++)
                {
                    LstmDirectionWeights w = weights.Layers[l][d];
                    _ops.Upload(w.WeightIh.Span, wih + Offset(d * gates * input));
                    _ops.Upload(w.WeightHh.Span, whh + Offset(d * gates * hidden));
                    _ops.Upload(w.BiasIh.Span, bih + Offset(d * gates));
                    _ops.Upload(w.BiasHh.Span, bhh + Offset(d * gates));
                }
                _layers[l] = new CudaLayer { Input = input, Hidden = hidden, WeightIh = wih, WeightHh = whh, BiasIh = bih, BiasHh = bhh };
            }
        }
        catch
        {
            _layers ??= [];
            try
            {
                ReleaseAll();
            }
            finally
            {
                _ops.Dispose();
            }
            throw;
        }
    }

    /// <inheritdoc />
    public override int BatchSize => _batchSize;

    /// <summary>Device-side times of the last <see cref="LanguageModelEngine.Encode"/>.</summary>
    public CudaTiming LastEncodeTiming { get; private set; }

    /// <summary>Device-side times of the last <see cref="LanguageModelEngine.Decode"/>.</summary>
    public CudaTiming LastDecodeTiming { get; private set; }

    /// <summary>Bytes of device memory this engine holds now (weights, state and scratch).</summary>
    public long DeviceBytes { get; private set; }

    // The engine owns ops from the start (the backend hands over a fresh stream and cuBLAS handle), so weights the
    // contract refuses still release them.
    private static AwdLstmWeights ValidatedOrDisposed(AwdLstmWeights weights, IDeviceOps ops)
    {
        try
        {
            ArgumentNullException.ThrowIfNull(weights);
            weights.Validate();
            return weights;
        }
        catch
        {
            ops.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    protected override void ResetCore()
    {
        _ops.MakeCurrent();
        FreeState();
        _batchSize = 0;
    }

    /// <inheritdoc />
    protected override void EncodeCore(ReadOnlySpan<int> tokens, int batch, int seq, Span<float> output)
    {
        int emb = Config.EmbSize, directions = Config.Directions;
        int rows = checked(batch * seq);
        long outputCount = (long)rows * emb;
        _ops.MakeCurrent();
        EnsureState(batch);

        int maxWidth = Math.Max(emb, Config.HiddenSize), maxGates = 0;
        foreach (CudaLayer layer in _layers)
        {
            maxWidth = Math.Max(maxWidth, Math.Max(layer.Input, directions * layer.Hidden));
            maxGates = Math.Max(maxGates, directions * 4 * layer.Hidden);
        }
        ulong dTokens = Ensure(_tokens, (long)rows * sizeof(int));
        ulong x = Ensure(_sequenceA, Bytes((long)rows * maxWidth));
        ulong y = Ensure(_sequenceB, Bytes((long)rows * maxWidth));
        ulong xproj = Ensure(_xproj, Bytes((long)rows * maxGates));
        ulong hproj = Ensure(_hproj, Bytes((long)batch * maxGates));

        _ops.RecordEvent(0);
        _ops.Upload(tokens, dTokens);
        _ops.RecordEvent(1);
        _ops.EmbeddingGather(dTokens, _embedding, x, batch, seq, emb);

        foreach (CudaLayer layer in _layers)
        {
            int hidden = layer.Hidden, gates = 4 * hidden, gateWidth = directions * gates;
            // All timesteps and both directions at once: xproj[seq·batch, D·4h] = x[seq·batch, in] · W_ih(stacked)ᵀ.
            GemmCall inputProjection = GemmCall.Linear(rows, layer.Input, gateWidth, inputStride: layer.Input, weightStride: layer.Input, outputStride: gateWidth);
            _ops.Gemm(inputProjection, layer.WeightIh, x, xproj);

            // hproj[d][batch, 4h] = h[d][batch, h] · W_hh[d]ᵀ.
            GemmCall recurrent = GemmCall.Linear(batch, hidden, gates, inputStride: hidden, weightStride: hidden, outputStride: gates);
            for (int t = 0; t < seq; t++)
            {
                if (directions == 1)
                    _ops.Gemm(recurrent, layer.WeightHh, layer.H, hproj);
                else
                    _ops.GemmStridedBatched(recurrent, layer.WeightHh, (long)gates * hidden, layer.H, (long)batch * hidden, hproj, (long)batch * gates, directions);
                _ops.LstmGates(xproj, gateWidth, hproj, layer.BiasIh, layer.BiasHh, layer.H, layer.C, y, batch, hidden, directions, seq, t);
            }
            (x, y) = (y, x);
        }

        _ops.TimeToBatchMajor(x, y, seq, batch, emb);
        _ops.RecordEvent(2);
        _ops.Download(y, output[..(int)outputCount], eventAfter: 3);
        LastEncodeTiming = new CudaTiming(_ops.ElapsedMilliseconds(0, 1), _ops.ElapsedMilliseconds(1, 2), _ops.ElapsedMilliseconds(2, 3));
    }

    /// <inheritdoc />
    protected override void DecodeCore(ReadOnlySpan<float> hidden, int rows, Span<float> logits)
    {
        int emb = Config.EmbSize, vocab = Config.VocabSize;
        long inputCount = (long)rows * emb, outputCount = (long)rows * vocab;
        _ops.MakeCurrent();
        ulong input = Ensure(_decodeInput, Bytes(inputCount));
        ulong output = Ensure(_decodeOutput, Bytes(outputCount));
        _ops.RecordEvent(0);
        _ops.Upload(hidden[..(int)inputCount], input);
        _ops.RecordEvent(1);
        _ops.Gemm(GemmCall.Linear(rows, emb, vocab, inputStride: emb, weightStride: emb, outputStride: vocab), _decoderWeight, input, output);
        if (_decoderBias != 0) _ops.AddRowBias(output, _decoderBias, rows, vocab);
        _ops.RecordEvent(2);
        _ops.Download(output, logits[..(int)outputCount], eventAfter: 3);
        LastDecodeTiming = new CudaTiming(_ops.ElapsedMilliseconds(0, 1), _ops.ElapsedMilliseconds(1, 2), _ops.ElapsedMilliseconds(2, 3));
    }

    /// <summary>Frees the device memory and the engine's stream and cuBLAS handle.</summary>
    protected override void DisposeCore()
    {
        try
        {
            _ops.MakeCurrent();
            ReleaseAll();
        }
        finally
        {
            _ops.Dispose();
            _onDispose?.Invoke(this);
        }
    }

    /// <summary>The layer buffers, for tests that inspect the state.</summary>
    internal IReadOnlyList<CudaLayer> Layers => _layers;

    /// <summary>
    /// Sets the state to <paramref name="batch"/> rows as fastai v2 does (<c>_change_one_hidden</c>): zeros after a reset,
    /// the first rows kept when the batch shrinks, zero rows appended when it grows.
    /// </summary>
    private void EnsureState(int batch)
    {
        if (batch == _batchSize) return;
        int directions = Config.Directions;
        foreach (CudaLayer layer in _layers)
        {
            long count = (long)directions * batch * layer.Hidden;
            ulong h = Allocate(count), c = Allocate(count);
            if (_batchSize == 0)
            {
                _ops.Zero(h, count);
                _ops.Zero(c, count);
            }
            else
            {
                _ops.ResizeState(layer.H, h, _batchSize, batch, layer.Hidden, directions);
                _ops.ResizeState(layer.C, c, _batchSize, batch, layer.Hidden, directions);
            }
            Free(layer.H);
            Free(layer.C);
            layer.H = h;
            layer.C = c;
        }
        _batchSize = batch;
    }

    private void FreeState()
    {
        foreach (CudaLayer layer in _layers)
        {
            Free(layer.H);
            Free(layer.C);
            layer.H = 0;
            layer.C = 0;
        }
    }

    private void ReleaseAll()
    {
        foreach (CudaLayer? layer in _layers)
        {
            if (layer is null) continue;
            layer.H = 0;
            layer.C = 0;
        }
        foreach (ulong pointer in _allocations.Keys) _ops.Free(pointer);
        _allocations.Clear();
        foreach (DeviceWorkspace w in (DeviceWorkspace[])[_tokens, _sequenceA, _sequenceB, _xproj, _hproj, _decodeInput, _decodeOutput])
            w.Release(_ops);
        DeviceBytes = 0;
    }

    private ulong Ensure(DeviceWorkspace workspace, long bytes)
    {
        long before = workspace.Capacity;
        ulong pointer = workspace.Ensure(_ops, bytes);
        DeviceBytes += workspace.Capacity - before;
        return pointer;
    }

    private ulong Allocate(long floats)
    {
        long bytes = Bytes(floats);
        ulong pointer = _ops.Allocate(bytes);
        _allocations.Add(pointer, bytes);
        DeviceBytes += bytes;
        return pointer;
    }

    private void Free(ulong pointer)
    {
        if (pointer == 0 || !_allocations.Remove(pointer, out long bytes)) return;
        _ops.Free(pointer);
        DeviceBytes -= bytes;
    }

    private ulong UploadWeight(ReadOnlySpan<float> values)
    {
        ulong pointer = Allocate(values.Length);
        _ops.Upload(values, pointer);
        return pointer;
    }

    private static long Bytes(long floats) => checked(floats * FloatSize);

    private static ulong Offset(long floats) => (ulong)Bytes(floats);
}
