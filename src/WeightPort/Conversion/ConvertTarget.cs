namespace WeightPort.Conversion;

/// <summary>Where and how to write a conversion.</summary>
/// <param name="OutputPath">The weights file. The manifest goes to <c>OutputPath + ".manifest.json"</c>, the vocabulary to <c>OutputPath + ".vocab.json"</c>.</param>
/// <param name="Format">The output format.</param>
/// <param name="Overwrite">Replace existing outputs; otherwise an existing output is an error and nothing is written.</param>
/// <param name="Durable">fsync each output before renaming it into place (survives power loss; costs about one more write).</param>
public sealed record ConvertTarget(string OutputPath, OutputFormat Format, bool Overwrite = false, bool Durable = false)
{
    /// <summary>The manifest path.</summary>
    public string ManifestPath => ConversionManifest.PathFor(OutputPath);

    /// <summary>The vocabulary JSON path.</summary>
    public string VocabularyPath => OutputPath + ".vocab.json";
}
