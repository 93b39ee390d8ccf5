using System.Text.Json.Serialization;

namespace WeightPort.Conversion;

/// <summary>One written tensor: source path → target name, types, shape and, when cast, whether the cast was lossless.</summary>
internal sealed record ManifestMapping(string Source, string Target, [property: JsonPropertyName("source_dtype")] string SourceDType, [property: JsonPropertyName("target_dtype")] string TargetDType, IReadOnlyList<long> Shape, bool? Lossless);
