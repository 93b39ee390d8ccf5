using System.Globalization;
using WeightPort.Fastai;

namespace WeightPort.Model;

/// <summary>
/// The stateful part of the forward pass: embedding, the LSTM stack and the decoder, in eval mode (no dropout). The
/// hidden state carries over between calls as in fastai; a batch-size change follows fastai v2
/// (<c>_change_one_hidden</c>: zero rows are appended when the batch grows, the first rows kept when it shrinks).
/// Every engine gets its arguments checked here, by the same rules, before its own code runs.
/// </summary>
internal abstract class LanguageModelEngine : IDisposable
{
    private bool _disposed;

    /// <summary>Checks <paramref name="weights"/> against the one weights contract.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="weights"/> is null.</exception>
    /// <exception cref="ArgumentException">The weights break <see cref="AwdLstmWeights.Validate"/>.</exception>
    protected LanguageModelEngine(AwdLstmWeights weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        weights.Validate();
        Config = weights.Config;
        HasDecoder = weights.HasDecoder;
    }

    /// <summary>The model's shape.</summary>
    public AwdLstmConfig Config { get; }

    /// <summary>Whether <see cref="Decode"/> is available (language models; encoders and classifiers have none).</summary>
    public bool HasDecoder { get; }

    /// <summary>How the engine holds the weights, and why (for reports): "float32", "float16 (every weight is exact …)".</summary>
    public virtual string WeightStorage => "float32";

    /// <summary>The batch size of the current hidden state (0 after <see cref="Reset"/>, until the next call).</summary>
    public abstract int BatchSize { get; }

    /// <summary>Clears the hidden state to zeros.</summary>
    /// <exception cref="ObjectDisposedException">The engine is disposed.</exception>
    public void Reset()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ResetCore();
    }

    /// <summary>
    /// Runs token ids <paramref name="tokens"/> ([batch, seq], row-major) through the embedding and LSTM stack and writes
    /// the last layer's outputs ([batch, seq, emb]) to <paramref name="output"/>. An empty block changes nothing.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A size is negative, or a token id is outside the vocabulary.</exception>
    /// <exception cref="ArgumentException">A span's length is not what batch and seq need.</exception>
    /// <exception cref="ObjectDisposedException">The engine is disposed.</exception>
    public void Encode(ReadOnlySpan<int> tokens, int batch, int seq, Span<float> output)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentOutOfRangeException.ThrowIfNegative(batch);
        ArgumentOutOfRangeException.ThrowIfNegative(seq);
        long rows = (long)batch * seq;
        if (tokens.Length != rows)
            throw new ArgumentException($"{tokens.Length:N0} tokens given for batch {batch} × seq {seq}", nameof(tokens));
        if (output.Length != rows * Config.EmbSize)
            throw new ArgumentException($"output holds {output.Length:N0} floats, [{batch}, {seq}, {Config.EmbSize}] needs {rows * Config.EmbSize:N0}", nameof(output));
        for (int i = 0; i < tokens.Length; i++)
        {
            // The engines trust the ids: an id outside the table would read other memory.
            if ((uint)tokens[i] >= (uint)Config.VocabSize)
                throw new ArgumentOutOfRangeException(nameof(tokens), tokens[i],
                    string.Create(CultureInfo.InvariantCulture, $"token id {tokens[i]} at [{i / seq}, {i % seq}] is outside the vocabulary of {Config.VocabSize:N0}"));
        }
        if (rows == 0) return;
        EncodeCore(tokens, batch, seq, output);
    }

    /// <summary>Applies the decoder to <paramref name="rows"/> rows of <paramref name="hidden"/> ([rows, emb]), writing [rows, vocab] logits.</summary>
    /// <exception cref="InvalidOperationException">The weights have no decoder.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="rows"/> is negative.</exception>
    /// <exception cref="ArgumentException">A span's length is not what <paramref name="rows"/> needs.</exception>
    /// <exception cref="ObjectDisposedException">The engine is disposed.</exception>
    public void Decode(ReadOnlySpan<float> hidden, int rows, Span<float> logits)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!HasDecoder) throw new InvalidOperationException("these weights have no decoder (a classifier or an encoder)");
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        int emb = Config.EmbSize, vocab = Config.VocabSize;
        if (hidden.Length != (long)rows * emb)
            throw new ArgumentException($"hidden holds {hidden.Length:N0} floats, [{rows}, {emb}] needs {(long)rows * emb:N0}", nameof(hidden));
        if (logits.Length != (long)rows * vocab)
            throw new ArgumentException($"logits holds {logits.Length:N0} floats, [{rows}, {vocab}] needs {(long)rows * vocab:N0}", nameof(logits));
        if (rows == 0) return;
        DecodeCore(hidden, rows, logits);
    }

    /// <summary>Releases the engine's weights and state (pinned memory, device memory).</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        DisposeCore();
    }

    /// <summary>Clears the state; called on a live engine.</summary>
    protected abstract void ResetCore();

    /// <summary>Encodes arguments that are already checked and not empty.</summary>
    protected abstract void EncodeCore(ReadOnlySpan<int> tokens, int batch, int seq, Span<float> output);

    /// <summary>Decodes arguments that are already checked and not empty, with a decoder present.</summary>
    protected abstract void DecodeCore(ReadOnlySpan<float> hidden, int rows, Span<float> logits);

    /// <summary>Releases what the engine holds; called once.</summary>
    protected abstract void DisposeCore();
}
