using WeightPort.Fastai;

namespace WeightPort.Model;

/// <summary>
/// A fastai AWD-LSTM text classifier in eval mode (docs/fastai-layouts.md §6): the encoder run over bptt-sized chunks from
/// a reset state, concat pooling <c>[last, max, avg]</c> and the BatchNorm/Linear head. Padding must be at the front,
/// as fastai's collation puts it, and for <see cref="ClassifierPooling.FastaiV2"/> rows sorted by decreasing length.
/// </summary>
public sealed class AwdLstmClassifier : IDisposable
{
    private readonly LanguageModelEngine _engine;
    private readonly ClassifierHead _head;
    private LoadedWeights? _loaded;

    private AwdLstmClassifier(AwdLstmWeights weights, LanguageModelEngine engine, ClassifierHead head, ClassifierPooling pooling, int bptt, int maxLen)
    {
        Weights = weights;
        _engine = engine;
        _head = head;
        Pooling = pooling;
        Bptt = bptt;
        MaxLen = maxLen;
    }

    /// <summary>Loads a text classifier from an original fastai checkpoint or a converted file, with the pooling its head implies.</summary>
    /// <param name="path">The checkpoint.</param>
    /// <param name="backend">Where to run: <c>CpuBackend.Create()</c> or <c>CudaBackend.Create()</c> (namespace <c>WeightPort.Compute</c>).</param>
    /// <param name="options">Layout override and redundancy-check options.</param>
    /// <exception cref="CheckpointFormatException">The file is unreadable, fails validation, does not match its manifest, or has no classifier head.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> or <paramref name="backend"/> is null.</exception>
    public static AwdLstmClassifier Load(string path, ComputeBackend backend, FastaiOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(backend);
        var loaded = AwdLstmLoader.Load(path, options);
        try
        {
            if (!loaded.Config.IsClassifier)
                throw new CheckpointFormatException(CheckpointError.InvalidContent, "this checkpoint has no classifier head; load it with AwdLstm.Load", path);
            var model = FromWeights(loaded.Weights, backend, loaded.Pooling);
            model._loaded = loaded;
            return model;
        }
        catch
        {
            loaded.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Builds the classifier. <paramref name="bptt"/> defaults to fastai's (72 for v2, 70 for v1) and
    /// <paramref name="maxLen"/> to 20 × bptt; <see cref="int.MaxValue"/> keeps every chunk (fastai's <c>max_len=None</c>).
    /// </summary>
    /// <exception cref="ArgumentException">The weights have no classifier head, or its shapes disagree.</exception>
    internal static AwdLstmClassifier FromWeights(AwdLstmWeights weights, ComputeBackend backend, ClassifierPooling pooling = ClassifierPooling.FastaiV2, int? bptt = null, int? maxLen = null)
    {
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentNullException.ThrowIfNull(backend);
        if (!Enum.IsDefined(pooling)) throw new ArgumentOutOfRangeException(nameof(pooling), pooling, "unknown pooling");
        if (weights.ClassifierHead is not { Count: > 0 } blocks)
            throw new ArgumentException("these AWD-LSTM weights have no classifier head", nameof(weights));
        int chunk = bptt ?? (pooling == ClassifierPooling.FastaiV2 ? 72 : 70);
        ArgumentOutOfRangeException.ThrowIfLessThan(chunk, 1, nameof(bptt));
        int limit = maxLen ?? chunk * 20;
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1, nameof(maxLen));
        var engine = backend.CreateEngine(weights);
        return new AwdLstmClassifier(weights, engine, new ClassifierHead(blocks), pooling, chunk, limit);
    }

    /// <summary>The weights the classifier runs.</summary>
    internal AwdLstmWeights Weights { get; }

    /// <summary>How the engine holds the weights and why.</summary>
    internal string WeightStorage => _engine.WeightStorage;

    /// <summary>The fastai version whose semantics are reproduced.</summary>
    internal ClassifierPooling Pooling { get; }

    /// <summary>Chunk length of the encoder.</summary>
    public int Bptt { get; }

    /// <summary>Only chunks within this many final positions are pooled.</summary>
    public int MaxLen { get; }

    /// <summary>Number of classes (the last head block's outputs).</summary>
    public int ClassCount => _head.OutFeatures;

    /// <summary>Class logits [batch, classes] for a [batch, seq] block of token ids.</summary>
    /// <exception cref="ArgumentException">A token id is outside the vocabulary, or a row has no real token where one is needed.</exception>
    public float[,] Classify(int[,] tokens)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        int batch = tokens.GetLength(0);
        float[] flat = Classify(AwdLstm.TokenSpan(tokens), batch, tokens.GetLength(1));
        var result = new float[batch, ClassCount];
        flat.AsSpan().CopyTo(System.Runtime.InteropServices.MemoryMarshal.CreateSpan(
            ref System.Runtime.CompilerServices.Unsafe.As<byte, float>(ref System.Runtime.InteropServices.MemoryMarshal.GetArrayDataReference(result)), result.Length));
        return result;
    }

    /// <summary>Class logits [batch × classes], row-major, for token ids [batch, seq].</summary>
    /// <exception cref="ArgumentException">A token id is outside the vocabulary, or a row has no real token where one is needed.</exception>
    public float[] Classify(ReadOnlySpan<int> tokens, int batch, int seq)
    {
        float[] pooled = Pool(tokens, batch, seq);
        int width = 3 * Weights.Config.EmbSize;
        var logits = new float[batch * ClassCount];
        for (int b = 0; b < batch; b++)
            _head.Apply(pooled.AsSpan(b * width, width), logits.AsSpan(b * ClassCount, ClassCount));
        return logits;
    }

    /// <summary>The pooled features <c>[last, max, avg]</c> [batch, 3·emb] that the head receives.</summary>
    /// <exception cref="ArgumentException">A token id is outside the vocabulary, or a row has no real token where one is needed.</exception>
    public float[] Pool(ReadOnlySpan<int> tokens, int batch, int seq)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(batch);
        ArgumentOutOfRangeException.ThrowIfLessThan(seq, 1);
        if (tokens.Length != (long)batch * seq)
            throw new ArgumentException($"{tokens.Length:N0} tokens given for batch {batch} × seq {seq}", nameof(tokens));
        int emb = Weights.Config.EmbSize, pad = Weights.Config.PadToken;
        _engine.Reset();

        // Kept chunks: their start column and their [batch, len, emb] outputs, zero rows where a row did not run.
        var kept = new List<(int Start, int Length, float[] Output)>();
        for (int i = 0; i < seq; i += Bptt)
        {
            int len = Math.Min(Bptt, seq - i);
            int rows = batch;
            if (Pooling == ClassifierPooling.FastaiV2)
            {
                rows = 0;
                for (int b = 0; b < batch; b++)
                    if (tokens[b * seq + i] != pad) rows++;
            }
            var chunk = new int[rows * len];
            for (int b = 0; b < rows; b++) tokens.Slice(b * seq + i, len).CopyTo(chunk.AsSpan(b * len, len));
            var output = new float[batch * len * emb];
            _engine.Encode(chunk, rows, len, output.AsSpan(0, rows * len * emb));
            bool keep = Pooling == ClassifierPooling.FastaiV2 ? seq - i <= MaxLen : i > seq - MaxLen;
            if (keep) kept.Add((i, len, output));
        }

        int total = 0;
        foreach (var k in kept) total += k.Length;
        var pooled = new float[batch * 3 * emb];
        if (total == 0) throw new ArgumentException($"no chunk of the {seq} positions falls within max_len {MaxLen}", nameof(tokens));
        for (int b = 0; b < batch; b++)
        {
            Span<float> last = pooled.AsSpan(b * 3 * emb, emb), max = pooled.AsSpan(b * 3 * emb + emb, emb), avg = pooled.AsSpan(b * 3 * emb + 2 * emb, emb);
            max.Fill(float.NegativeInfinity);
            int pads = 0, lastPads = 0, position = 0;
            ReadOnlySpan<float> lastRow = default;
            var rowsInOrder = new List<ReadOnlyMemory<float>>(total);
            foreach (var (start, len, output) in kept)
                for (int t = 0; t < len; t++, position++)
                {
                    ReadOnlyMemory<float> row = output.AsMemory((b * len + t) * emb, emb);
                    rowsInOrder.Add(row);
                    bool isPad = tokens[b * seq + start + t] == pad;
                    if (isPad)
                    {
                        pads++;
                        if (position >= total - Bptt) lastPads++;
                        continue;
                    }
                    System.Numerics.Tensors.TensorPrimitives.Add(avg, row.Span, avg);
                    System.Numerics.Tensors.TensorPrimitives.Max(max, row.Span, max);
                }
            if (Pooling == ClassifierPooling.FastaiV2)
            {
                // masked_concat_pool (v2): avg over real tokens; last = output[-last_lens - 1], the last real token.
                System.Numerics.Tensors.TensorPrimitives.Divide(avg, (float)(total - pads), avg);
                int index = total - lastPads - 1;
                if (index < 0) throw new ArgumentException($"row {b} has only padding in its last {Bptt} positions and nothing before", nameof(tokens));
                lastRow = rowsInOrder[index].Span;
            }
            else
            {
                // masked_concat_pool (v1): mean over all L positions with pads zeroed, then × L / (L − pads).
                System.Numerics.Tensors.TensorPrimitives.Divide(avg, (float)total, avg);
                System.Numerics.Tensors.TensorPrimitives.Multiply(avg, total / (float)(total - pads), avg);
                lastRow = rowsInOrder[total - 1].Span;
            }
            lastRow.CopyTo(last);
        }
        return pooled;
    }

    /// <summary>Releases the engine and, for a model from <see cref="Load"/>, closes its checkpoint.</summary>
    public void Dispose()
    {
        _engine.Dispose();
        _loaded?.Dispose();
    }
}
