namespace WeightPort.TorchSharp.Loading;

/// <summary>
/// fastai's <c>match_embeds</c> (v2) / <c>convert_weights</c> (v1): re-index a pretrained embedding and decoder bias
/// from the vocabulary the model was trained with to a new one. A word found in the old vocabulary keeps its row
/// (a duplicated word: its last index); any other word gets the mean of all old rows (and the mean bias).
/// </summary>
/// <param name="OldVocabulary">The pretrained model's itos (for WT103: <c>itos_wt103.pkl</c>).</param>
/// <param name="NewVocabulary">The itos of the text to fine-tune on.</param>
public sealed record VocabularyMatch(IReadOnlyList<string> OldVocabulary, IReadOnlyList<string> NewVocabulary)
{
    /// <summary>For each new index, the old row to copy, or −1 for the mean row.</summary>
    public long[] SourceRows()
    {
        var old = new Dictionary<string, long>(StringComparer.Ordinal);
        for (int i = 0; i < OldVocabulary.Count; i++) old[OldVocabulary[i]] = i;
        var rows = new long[NewVocabulary.Count];
        for (int i = 0; i < rows.Length; i++) rows[i] = old.TryGetValue(NewVocabulary[i], out var j) ? j : -1;
        return rows;
    }

    /// <summary>How many new words were found in the old vocabulary.</summary>
    public int MatchedCount => SourceRows().Count(r => r >= 0);
}
