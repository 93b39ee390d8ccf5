namespace WeightPort.Model;

/// <summary>
/// The result of <see cref="AwdLstm.Forward(ReadOnlySpan{int}, int, int)"/>: row-major, batch first. Disposing it is
/// optional: it hands the arrays back to the model, whose next call of the same shape writes into them instead of
/// allocating (a 64×70 WT103 call returns 1 GB of logits, and fresh memory costs page faults on every call). Do not
/// use the arrays after <see cref="Dispose"/>.
/// </summary>
public sealed class AwdLstmOutput : IDisposable
{
    private AwdLstm? _owner;

    internal AwdLstmOutput(int batch, int seq, int vocabSize, int embSize, float[] logits, float[] lastHidden, AwdLstm owner)
    {
        _owner = owner;
        Batch = batch;
        Seq = seq;
        VocabSize = vocabSize;
        EmbSize = embSize;
        Logits = logits;
        LastHidden = lastHidden;
    }

    /// <summary>Rows of the input.</summary>
    public int Batch { get; }

    /// <summary>Timesteps of the input.</summary>
    public int Seq { get; }

    /// <summary>Width of a logits row.</summary>
    public int VocabSize { get; }

    /// <summary>Width of a last-layer output row.</summary>
    public int EmbSize { get; }

    /// <summary>Decoder outputs [batch, seq, vocab] (no softmax, as fastai's model).</summary>
    public float[] Logits { get; }

    /// <summary>The last LSTM layer's outputs [batch, seq, emb], the decoder's input.</summary>
    public float[] LastHidden { get; }

    /// <summary>The logits of row <paramref name="b"/> at timestep <paramref name="t"/>.</summary>
    public ReadOnlySpan<float> LogitsAt(int b, int t) => Logits.AsSpan(Index(b, t) * VocabSize, VocabSize);

    /// <summary>The last-layer output of row <paramref name="b"/> at timestep <paramref name="t"/>.</summary>
    public ReadOnlySpan<float> LastHiddenAt(int b, int t) => LastHidden.AsSpan(Index(b, t) * EmbSize, EmbSize);

    /// <summary>Returns the arrays to the model for reuse by its next call with the same shape.</summary>
    public void Dispose() => Interlocked.Exchange(ref _owner, null)?.Recycle(Logits, LastHidden);

    private int Index(int b, int t)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(b);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(b, Batch);
        ArgumentOutOfRangeException.ThrowIfNegative(t);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(t, Seq);
        return b * Seq + t;
    }
}
