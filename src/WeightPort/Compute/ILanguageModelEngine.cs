namespace WeightPort.Compute;

/// <summary>
/// The stateful part of the forward pass: embedding, the LSTM stack and the decoder, in eval mode (no dropout).
/// The hidden state carries over between calls as in fastai; a batch-size change follows fastai v2
/// (<c>_change_one_hidden</c>: zero rows are appended when the batch grows, the first rows kept when it shrinks).
/// </summary>
public interface ILanguageModelEngine : IDisposable
{
    /// <summary>The batch size of the current hidden state (0 after <see cref="Reset"/>, until the next call).</summary>
    int BatchSize { get; }

    /// <summary>Clears the hidden state to zeros.</summary>
    void Reset();

    /// <summary>
    /// Runs token ids <paramref name="tokens"/> ([batch, seq], row-major) through the embedding and LSTM stack and writes
    /// the last layer's outputs ([batch, seq, emb]) to <paramref name="output"/>.
    /// </summary>
    void Encode(ReadOnlySpan<int> tokens, int batch, int seq, Span<float> output);

    /// <summary>Applies the decoder to <paramref name="rows"/> rows of <paramref name="hidden"/> ([rows, emb]), writing [rows, vocab] logits.</summary>
    void Decode(ReadOnlySpan<float> hidden, int rows, Span<float> logits);
}
