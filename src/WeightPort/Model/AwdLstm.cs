using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using WeightPort.Fastai;

namespace WeightPort.Model;

/// <summary>
/// A fastai AWD-LSTM language model in eval mode (docs/fastai-layouts.md §5): embedding, the LSTM stack and the decoder.
/// Stateful like fastai's model: the hidden state carries over from one <see cref="Forward(ReadOnlySpan{int}, int, int)"/>
/// to the next until <see cref="Reset"/>; a batch-size change keeps the first rows or appends zero rows (fastai v2).
/// An instance is not thread-safe (it holds the state and work buffers); the products themselves use all cores.
/// </summary>
public sealed class AwdLstm : IDisposable
{
    private readonly LanguageModelEngine _engine;
    private Tuple<float[], float[]>? _spare;
    private LoadedWeights? _loaded;

    private AwdLstm(AwdLstmWeights weights, LanguageModelEngine engine)
    {
        Weights = weights;
        _engine = engine;
    }

    /// <summary>
    /// Loads a language model (or encoder) from <paramref name="path"/>: an original fastai checkpoint, converted in
    /// memory with <c>weightport convert</c>'s validation, or a converted TorchSharp / safetensors / .pth file.
    /// </summary>
    /// <param name="path">The checkpoint.</param>
    /// <param name="backend">Where to run: <c>CpuBackend.Create()</c> or <c>CudaBackend.Create()</c> (namespace <c>WeightPort.Compute</c>).</param>
    /// <param name="options">Layout override and redundancy-check options.</param>
    /// <exception cref="CheckpointFormatException">The file is unreadable, not an AWD-LSTM, fails validation, does not match its manifest, or is a classifier (use <see cref="AwdLstmClassifier.Load"/>).</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> or <paramref name="backend"/> is null.</exception>
    public static AwdLstm Load(string path, ComputeBackend backend, FastaiOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(backend);
        var loaded = AwdLstmLoader.Load(path, options);
        try
        {
            if (loaded.Config.IsClassifier)
                throw new CheckpointFormatException(CheckpointError.InvalidContent, "this is a text classifier; load it with AwdLstmClassifier.Load", path);
            var model = FromWeights(loaded.Weights, backend);
            model._loaded = loaded;
            return model;
        }
        catch
        {
            loaded.Dispose();
            throw;
        }
    }

    /// <summary>Builds the model on <paramref name="backend"/>; the weights are used in place, not copied.</summary>
    /// <exception cref="ArgumentException">The weights break <see cref="AwdLstmWeights.Validate"/>.</exception>
    internal static AwdLstm FromWeights(AwdLstmWeights weights, ComputeBackend backend)
    {
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentNullException.ThrowIfNull(backend);
        return new AwdLstm(weights, backend.CreateEngine(weights));
    }

    /// <summary>The weights the model runs.</summary>
    internal AwdLstmWeights Weights { get; }

    /// <summary>The model's shape.</summary>
    public AwdLstmConfig Config => Weights.Config;

    /// <summary>How the engine holds the weights and why, e.g. "float16 (every weight is exact in float16 …)".</summary>
    internal string WeightStorage => _engine.WeightStorage;

    /// <summary>The batch size of the current hidden state (0 after <see cref="Reset"/>).</summary>
    public int BatchSize => _engine.BatchSize;

    /// <summary>Zeroes the hidden state.</summary>
    public void Reset() => _engine.Reset();

    /// <summary>Runs a [batch, seq] block of token ids.</summary>
    /// <exception cref="InvalidOperationException">The weights have no decoder.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A token id is outside the vocabulary.</exception>
    public AwdLstmOutput Forward(int[,] tokens)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        return Forward(TokenSpan(tokens), tokens.GetLength(0), tokens.GetLength(1));
    }

    /// <summary>Runs token ids <paramref name="tokens"/> ([batch, seq], row-major).</summary>
    /// <exception cref="InvalidOperationException">The weights have no decoder.</exception>
    /// <exception cref="ArgumentException">The span's length is not batch × seq, or a token id is outside the vocabulary.</exception>
    public AwdLstmOutput Forward(ReadOnlySpan<int> tokens, int batch, int seq)
    {
        RequireDecoder();
        ArgumentOutOfRangeException.ThrowIfNegative(batch);
        ArgumentOutOfRangeException.ThrowIfNegative(seq);
        long rows = (long)batch * seq;
        int hiddenLength = checked((int)(rows * Config.EmbSize)), logitsLength = checked((int)(rows * Config.VocabSize));
        Tuple<float[], float[]>? spare = Interlocked.Exchange(ref _spare, null);
        float[] logits = spare?.Item1.Length == logitsLength ? spare.Item1 : GC.AllocateUninitializedArray<float>(logitsLength);
        float[] hidden = spare?.Item2.Length == hiddenLength ? spare.Item2 : GC.AllocateUninitializedArray<float>(hiddenLength);
        Forward(tokens, batch, seq, logits, hidden);
        return new AwdLstmOutput(batch, seq, Config.VocabSize, Config.EmbSize, logits, hidden, this);
    }

    /// <summary>Keeps the arrays of a disposed output for the next call (one set; the last one returned wins).</summary>
    internal void Recycle(float[] logits, float[] hidden) => Volatile.Write(ref _spare, Tuple.Create(logits, hidden));

    /// <summary>
    /// Runs <paramref name="tokens"/> into caller-owned buffers, for callers that reuse them between calls:
    /// <paramref name="logits"/> [batch, seq, vocab], <paramref name="lastHidden"/> [batch, seq, emb].
    /// </summary>
    /// <exception cref="InvalidOperationException">The weights have no decoder.</exception>
    /// <exception cref="ArgumentException">A length does not match, or a token id is outside the vocabulary.</exception>
    public void Forward(ReadOnlySpan<int> tokens, int batch, int seq, Span<float> logits, Span<float> lastHidden)
    {
        RequireDecoder();
        _engine.Encode(tokens, batch, seq, lastHidden);
        _engine.Decode(lastHidden, checked(batch * seq), logits);
    }

    /// <summary>Runs only the encoder and returns the last layer's outputs [batch, seq, emb]; works without a decoder.</summary>
    /// <exception cref="ArgumentException">The span's length is not batch × seq, or a token id is outside the vocabulary.</exception>
    public float[] Encode(ReadOnlySpan<int> tokens, int batch, int seq)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(batch);
        ArgumentOutOfRangeException.ThrowIfNegative(seq);
        var hidden = new float[checked(batch * seq * Config.EmbSize)];
        _engine.Encode(tokens, batch, seq, hidden);
        return hidden;
    }

    /// <summary>The elements of a rectangular array in row-major order, without a copy.</summary>
    internal static ReadOnlySpan<int> TokenSpan(int[,] tokens) =>
        MemoryMarshal.CreateReadOnlySpan(ref Unsafe.As<byte, int>(ref MemoryMarshal.GetArrayDataReference(tokens)), tokens.Length);

    private void RequireDecoder()
    {
        if (!Weights.HasDecoder)
            throw new InvalidOperationException("these AWD-LSTM weights have no decoder (an encoder or a classifier); use Encode or AwdLstmClassifier");
    }

    /// <summary>Releases the engine (pinned weights; device memory for CUDA) and, for a model from <see cref="Load"/>, closes its checkpoint.</summary>
    public void Dispose()
    {
        _engine.Dispose();
        _loaded?.Dispose();
    }
}
