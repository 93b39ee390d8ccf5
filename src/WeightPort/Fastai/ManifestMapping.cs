using System.Text.Json.Serialization;

namespace WeightPort.Fastai;

/// <summary>One written tensor: source path → target name, types, shape and, when cast, whether the cast was lossless.</summary>
public sealed record ManifestMapping(string Source, string Target, [property: JsonPropertyName("source_dtype")] string SourceDType, [property: JsonPropertyName("target_dtype")] string TargetDType, IReadOnlyList<long> Shape, bool? Lossless);
