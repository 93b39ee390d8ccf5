using static TorchSharp.torch;

namespace WeightPort.TorchSharp.Text;

/// <summary>Batching as fastai's text data loaders do it.</summary>
public static class TextBatches
{
    /// <summary>
    /// fastai's <c>pad_input_chunk</c> for classifiers: rows sorted by decreasing length; a row short of the longest
    /// by l gets (l / bptt)·bptt pads in front and l mod bptt at the end, so every bptt chunk of a shorter row starts
    /// aligned with the longest one (what <c>SentenceEncoder</c> expects).
    /// </summary>
    /// <param name="sequences">Token ids per text.</param>
    /// <param name="padToken">The padding id.</param>
    /// <param name="bptt">The classifier's chunk length.</param>
    /// <returns>Token ids [batch, longest] (int64), and for each row the index of its text in <paramref name="sequences"/>.</returns>
    /// <exception cref="ArgumentException">No sequences, or an empty one.</exception>
    public static (Tensor Tokens, int[] Order) PadChunks(IReadOnlyList<long[]> sequences, long padToken, int bptt)
    {
        ArgumentNullException.ThrowIfNull(sequences);
        if (sequences.Count == 0 || sequences.Any(s => s.Length == 0)) throw new ArgumentException("every text needs at least one token", nameof(sequences));
        if (bptt <= 0) throw new ArgumentOutOfRangeException(nameof(bptt), bptt, "bptt must be positive");
        int[] order = [.. Enumerable.Range(0, sequences.Count).OrderByDescending(i => sequences[i].Length).ThenBy(i => i)];
        int longest = sequences[order[0]].Length;
        var data = new long[order.Length * longest];
        for (int r = 0; r < order.Length; r++)
        {
            var s = sequences[order[r]];
            int pad = longest - s.Length;
            int front = pad / bptt * bptt;
            Span<long> row = data.AsSpan(r * longest, longest);
            row.Fill(padToken);
            s.CopyTo(row[front..]);
        }
        return (tensor(data, [order.Length, longest]), order);
    }

    /// <summary>
    /// fastai's <c>LMDataLoader</c>: the token stream cut into <paramref name="batchSize"/> contiguous rows, read in
    /// windows of <paramref name="bptt"/>; each target is the next token. Consecutive batches continue each row, so
    /// the model's carried hidden state lines up with the text.
    /// </summary>
    /// <exception cref="ArgumentException">The stream is too short for one token per row plus a target.</exception>
    public static IEnumerable<(Tensor Input, Tensor Target)> LanguageModel(IReadOnlyList<long> stream, int batchSize, int bptt)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (batchSize <= 0 || bptt <= 0) throw new ArgumentOutOfRangeException(nameof(batchSize), "batch size and bptt must be positive");
        int rowLength = (stream.Count - 1) / batchSize;
        if (rowLength < 1) throw new ArgumentException($"{stream.Count} tokens are too few for {batchSize} rows", nameof(stream));
        return Iterate(stream, batchSize, bptt, rowLength);
    }

    private static IEnumerable<(Tensor Input, Tensor Target)> Iterate(IReadOnlyList<long> stream, int batchSize, int bptt, int rowLength)
    {
        for (int start = 0; start < rowLength; start += bptt)
        {
            int len = Math.Min(bptt, rowLength - start);
            var x = new long[batchSize * len];
            var y = new long[batchSize * len];
            for (int r = 0; r < batchSize; r++)
                for (int t = 0; t < len; t++)
                {
                    int at = r * rowLength + start + t;
                    x[r * len + t] = stream[at];
                    y[r * len + t] = stream[at + 1];
                }
            yield return (tensor(x, [batchSize, len]), tensor(y, [batchSize, len]));
        }
    }
}
