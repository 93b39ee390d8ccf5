using System.Text.Json;
using WeightPort.Fastai;
using WeightPort.Tensors;

namespace WeightPort.Conversion;

/// <summary>
/// The record written beside a converted file: where it came from (path, size, SHA-256), the layout and configuration,
/// every mapping and drop with its reason, every decision, and the output (path, format, SHA-256; set by the caller
/// after writing, e.g. <c>manifest with { Output = ManifestOutput.FromFile(path, "safetensors") }</c>).
/// </summary>
internal sealed record ConversionManifest
{
    /// <summary>The manifest schema version.</summary>
    public int ManifestVersion { get; init; } = 1;
    /// <summary>The producing tool.</summary>
    public string Tool { get; init; } = "WeightPort";
    /// <summary>The source file.</summary>
    public required ManifestSource Source { get; init; }
    /// <summary>The layout identifier (<see cref="FastaiLayouts.Id"/>).</summary>
    public required string Layout { get; init; }
    /// <summary>The configuration; null for passthrough.</summary>
    public ManifestConfig? Config { get; init; }
    /// <summary>Every written tensor, in order.</summary>
    public required IReadOnlyList<ManifestMapping> Mappings { get; init; }
    /// <summary>Every dropped tensor.</summary>
    public required IReadOnlyList<ManifestDrop> Drops { get; init; }
    /// <summary>Every decision.</summary>
    public required IReadOnlyList<ManifestDecision> Decisions { get; init; }
    /// <summary>The written file, once known.</summary>
    public ManifestOutput? Output { get; init; }
    /// <summary>The vocabulary JSON written with the weights; null when the conversion wrote none.</summary>
    public ManifestVocabulary? Vocabulary { get; init; }
    /// <summary>A vocabulary JSON an earlier conversion left at this output's vocabulary path, kept but not these weights'; null when there is none.</summary>
    public ManifestStaleFile? StaleVocabulary { get; init; }

    /// <summary>Where the manifest of the weights file <paramref name="outputPath"/> goes: beside it, <c>.manifest.json</c> appended.</summary>
    public static string PathFor(string outputPath) => outputPath + ".manifest.json";

    /// <summary>Builds the manifest of <paramref name="plan"/> for <paramref name="source"/> (see <see cref="ManifestSource.FromFile"/>).</summary>
    public static ConversionManifest Create(ConversionPlan plan, ManifestSource source)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var c = plan.Config;
        return new ConversionManifest
        {
            Source = source,
            Layout = plan.Layout.Id(),
            Config = c is null ? null : new ManifestConfig(c.Model.VocabSize, c.Model.EmbSize, c.Model.HiddenSize, c.Model.Layers,
                c.Model.Bidirectional, c.Model.PadToken, c.HasDecoder, c.Tied, c.DecoderBias, [.. c.HeadSizes], c.HeadLinearBias, (plan.Options.TargetDType ?? c.DType).TorchName()),
            Mappings = [.. plan.Tensors.Select(t => new ManifestMapping(t.SourcePath, t.TargetName, t.Source.DType.TorchName(), t.OutputDType.TorchName(), [.. t.Shape], t.CastLossless))],
            Drops = [.. plan.Dropped.Select(d => new ManifestDrop(d.SourcePath, d.Reason))],
            Decisions = [.. plan.Decisions.Select(d => new ManifestDecision(d.Kind.ToString(), [.. d.Keys], d.Verdict.ToString(), d.Severity.ToString(), d.Details))],
        };
    }

    /// <summary>Indented JSON with snake_case names.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, ManifestJsonContext.Default.ConversionManifest);

    /// <summary>Parses <see cref="ToJson"/>'s output.</summary>
    /// <exception cref="JsonException">Not a manifest.</exception>
    public static ConversionManifest FromJson(string json) =>
        JsonSerializer.Deserialize(json, ManifestJsonContext.Default.ConversionManifest) ?? throw new JsonException("manifest JSON is null");
}
