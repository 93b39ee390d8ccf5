namespace WeightPort.TorchSharp.Loading;

/// <summary>fastai vocabularies (itos: index → token) as pickled lists.</summary>
public static class FastaiVocabulary
{
    /// <summary>Reads a pickled <c>list[str]</c> (<c>itos_wt103.pkl</c>) with WeightPort's allowlist unpickler: nothing is imported or run.</summary>
    /// <exception cref="CheckpointFormatException">The file is not a pickled list of strings.</exception>
    public static IReadOnlyList<string> Read(string itosPath)
    {
        ArgumentNullException.ThrowIfNull(itosPath);
        return CoreCheckpoint.ReadVocabulary(itosPath);
    }
}
