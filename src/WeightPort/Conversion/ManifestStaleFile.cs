namespace WeightPort.Conversion;

/// <summary>
/// A file beside the output that an earlier conversion wrote and this one did not replace (a vocabulary, when this run
/// was given none): kept, since the user did not name it, and recorded as not belonging to these weights.
/// </summary>
/// <param name="Path">The file.</param>
/// <param name="Sha256">Its SHA-256 when this conversion ran.</param>
/// <param name="Reason">Why it is stale.</param>
internal sealed record ManifestStaleFile(string Path, string Sha256, string Reason);
