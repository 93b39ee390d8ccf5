using System.Globalization;
using WeightPort.Model;

namespace WeightPort.Compute.Cuda;

/// <summary>
/// The AWD-LSTM forward pass on a CUDA device. Weights are uploaded once (a tied decoder reuses the embedding on the
/// device); the hidden state stays on the device between calls. Per layer: ONE GEMM projects the inputs of all timesteps
/// (both directions), then each timestep runs one GEMM <c>h·W_hhᵀ</c> (strided-batched over directions) and one fused
/// gate kernel; a reverse direction walks its timesteps from the end. Not thread-safe: one caller at a time.
/// </summary>
public sealed class CudaLanguageModelEngine : ILanguageModelEngine
{
    private const int FloatSize = sizeof(float);

    private readonly IDeviceOps _ops;
    private readonly AwdLstmConfig _config;
    private readonly CudaLayer[] _layers;
    private readonly ulong _embedding;
    private readonly ulong _decoderWeight;
    private readonly ulong _decoderBias;
    private readonly Dictionary<ulong, long> _allocations = [];
    private readonly DeviceWorkspace _tokens = new(), _sequenceA = new(), _sequenceB = new(), _xproj = new(), _hproj = new();
    private readonly DeviceWorkspace _decodeInput = new(), _decodeOutput = new();
    private readonly Action<CudaLanguageModelEngine>? _onDispose;
    private bool _disposed;

    /// <summary>Validates <paramref name="weights"/> against their config and uploads them.</summary>
    /// <exception cref="ArgumentException">An array's length does not match the config, or the layers do not chain.</exception>
    internal CudaLanguageModelEngine(IDeviceOps ops, AwdLstmWeights weights, Action<CudaLanguageModelEngine>? onDispose = null)
    {
        try
        {
            ArgumentNullException.ThrowIfNull(weights);
            Validate(weights);
        }
        catch
        {
            // The engine owns ops from the start: the backend hands over a fresh stream and cuBLAS handle.
            ops.Dispose();
            throw;
        }
        _ops = ops;
        _config = weights.Config;
        _onDispose = onDispose;
        int directions = _config.Directions;
        try
        {
            _ops.MakeCurrent();
            _embedding = UploadWeight(weights.Embedding.Span);
            _decoderWeight = weights.DecoderWeight is { } untied ? UploadWeight(untied.Span) : _embedding;
            _decoderBias = weights.DecoderBias is { } bias ? UploadWeight(bias.Span) : 0;

            _layers = new CudaLayer[_config.Layers];
            for (int l = 0; l < _config.Layers; l++)
            {
                int input = _config.LayerInputSize(l), hidden = _config.LayerHiddenSize(l);
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
            HasDecoder = weights.HasDecoder;
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
    public int BatchSize { get; private set; }

    /// <summary>The model's shape.</summary>
    public AwdLstmConfig Config => _config;

    /// <summary>Whether <see cref="Decode"/> is available (language models; classifiers have no decoder).</summary>
    public bool HasDecoder { get; }

    /// <summary>Device-side times of the last <see cref="Encode"/>.</summary>
    public CudaTiming LastEncodeTiming { get; private set; }

    /// <summary>Device-side times of the last <see cref="Decode"/>.</summary>
    public CudaTiming LastDecodeTiming { get; private set; }

    /// <summary>Bytes of device memory this engine holds now (weights, state and scratch).</summary>
    public long DeviceBytes { get; private set; }

    /// <inheritdoc />
    public void Reset()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _ops.MakeCurrent();
        FreeState();
        BatchSize = 0;
    }

    /// <inheritdoc />
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive, a span is too short, or a token id is outside the vocabulary.</exception>
    public void Encode(ReadOnlySpan<int> tokens, int batch, int seq, Span<float> output)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batch);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(seq);
        int emb = _config.EmbSize, directions = _config.Directions;
        int rows = checked(batch * seq);
        long outputCount = (long)rows * emb;
        if (tokens.Length < rows)
            throw new ArgumentOutOfRangeException(nameof(tokens), tokens.Length, $"tokens holds {tokens.Length:N0} ids, batch {batch} × seq {seq} needs {rows:N0}");
        if (output.Length < outputCount)
            throw new ArgumentOutOfRangeException(nameof(output), output.Length, $"output holds {output.Length:N0} floats, [{batch}, {seq}, {emb}] needs {outputCount:N0}");
        tokens = tokens[..rows];
        for (int i = 0; i < tokens.Length; i++)
        {
            // The gather kernel trusts the ids: an id outside the table would read other device memory.
            if ((uint)tokens[i] >= (uint)_config.VocabSize)
                throw new ArgumentOutOfRangeException(nameof(tokens), tokens[i], string.Create(CultureInfo.InvariantCulture, $"token id {tokens[i]} at [{i / seq}, {i % seq}] is outside the vocabulary of {_config.VocabSize:N0}"));
        }

        _ops.MakeCurrent();
        EnsureState(batch);

        int maxWidth = Math.Max(emb, _config.HiddenSize), maxGates = 0;
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
    /// <exception cref="InvalidOperationException">The model has no decoder (a classifier).</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="rows"/> is not positive or a span is too short.</exception>
    public void Decode(ReadOnlySpan<float> hidden, int rows, Span<float> logits)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!HasDecoder) throw new InvalidOperationException("this model has no decoder (a classifier's encoder)");
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rows);
        int emb = _config.EmbSize, vocab = _config.VocabSize;
        long inputCount = (long)rows * emb, outputCount = (long)rows * vocab;
        if (hidden.Length < inputCount)
            throw new ArgumentOutOfRangeException(nameof(hidden), hidden.Length, $"hidden holds {hidden.Length:N0} floats, [{rows}, {emb}] needs {inputCount:N0}");
        if (outputCount > int.MaxValue || logits.Length < outputCount)
            throw new ArgumentOutOfRangeException(nameof(logits), logits.Length, $"logits holds {logits.Length:N0} floats, [{rows}, {vocab}] needs {outputCount:N0}");

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
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
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
        if (batch == BatchSize) return;
        int directions = _config.Directions;
        foreach (CudaLayer layer in _layers)
        {
            long count = (long)directions * batch * layer.Hidden;
            ulong h = Allocate(count), c = Allocate(count);
            if (BatchSize == 0)
            {
                _ops.Zero(h, count);
                _ops.Zero(c, count);
            }
            else
            {
                _ops.ResizeState(layer.H, h, BatchSize, batch, layer.Hidden, directions);
                _ops.ResizeState(layer.C, c, BatchSize, batch, layer.Hidden, directions);
            }
            Free(layer.H);
            Free(layer.C);
            layer.H = h;
            layer.C = c;
        }
        BatchSize = batch;
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

    private static void Validate(AwdLstmWeights weights)
    {
        AwdLstmConfig config = weights.Config;
        void Expect(string what, long actual, long expected)
        {
            if (actual != expected)
                throw new ArgumentException($"{what} has {actual:N0} elements, the config {config} needs {expected:N0}", nameof(weights));
        }

        if (config.VocabSize <= 0 || config.EmbSize <= 0 || config.HiddenSize <= 0 || config.Layers <= 0)
            throw new ArgumentException($"config {config} has a size that is not positive", nameof(weights));
        Expect("the embedding", weights.Embedding.Length, (long)config.VocabSize * config.EmbSize);
        // A null float[] converts to an empty but non-null ReadOnlyMemory: say so, since "0 elements" alone puzzles.
        const string nullHint = " (pass null, not an empty or null array, when absent)";
        if (weights.DecoderWeight is { } decoder) Expect("the decoder weight" + (decoder.IsEmpty ? nullHint : ""), decoder.Length, (long)config.VocabSize * config.EmbSize);
        if (weights.DecoderBias is { } bias) Expect("the decoder bias" + (bias.IsEmpty ? nullHint : ""), bias.Length, config.VocabSize);
        if (weights.Layers.Count != config.Layers)
            throw new ArgumentException($"{weights.Layers.Count} layers given, the config {config} has {config.Layers}", nameof(weights));
        for (int l = 0; l < config.Layers; l++)
        {
            int input = config.LayerInputSize(l), hidden = config.LayerHiddenSize(l);
            if (hidden <= 0) throw new ArgumentException($"layer {l} has hidden size {hidden}", nameof(weights));
            // Layer l reads what layer l − 1 wrote: D·hidden(l − 1) columns; fastai's n_hid // n_dir can break that for odd sizes.
            int previousWidth = l == 0 ? config.EmbSize : config.Directions * config.LayerHiddenSize(l - 1);
            if (input != previousWidth)
                throw new ArgumentException($"layer {l} takes {input} inputs but layer {l - 1} produces {previousWidth}", nameof(weights));
            if (weights.Layers[l].Count != config.Directions)
                throw new ArgumentException($"layer {l} has {weights.Layers[l].Count} directions, the config has {config.Directions}", nameof(weights));
            for (int d = 0; d < config.Directions; d++)
            {
                LstmDirectionWeights w = weights.Layers[l][d];
                string name = $"layer {l}{(d == 1 ? " (reverse)" : "")}";
                Expect(name + " weight_ih", w.WeightIh.Length, 4L * hidden * input);
                Expect(name + " weight_hh", w.WeightHh.Length, 4L * hidden * hidden);
                Expect(name + " bias_ih", w.BiasIh.Length, 4L * hidden);
                Expect(name + " bias_hh", w.BiasHh.Length, 4L * hidden);
            }
        }
        int lastWidth = config.Directions * config.LayerHiddenSize(config.Layers - 1);
        if (lastWidth != config.EmbSize)
            throw new ArgumentException($"the last layer produces {lastWidth} features, the decoder expects emb {config.EmbSize}", nameof(weights));
    }
}
