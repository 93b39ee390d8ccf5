using System.Text.Json.Serialization;

namespace WeightPort.Conversion;

/// <summary>Source-generated (trim- and AOT-safe) JSON metadata for <see cref="ConversionManifest"/>.</summary>
[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(ConversionManifest))]
internal sealed partial class ManifestJsonContext : JsonSerializerContext
{
}
