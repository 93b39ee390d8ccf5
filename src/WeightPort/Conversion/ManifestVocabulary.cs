namespace WeightPort.Conversion;

/// <summary>
/// The vocabulary JSON written beside the weights: path, number of tokens and SHA-256, so that a vocabulary file left
/// from an earlier conversion can be told from this one's.
/// </summary>
internal sealed record ManifestVocabulary(string Path, int Entries, string Sha256);
