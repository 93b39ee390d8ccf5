using System.Text.Json.Serialization;

namespace WeightPort.Conversion;

/// <summary>The inferred configuration in text form.</summary>
internal sealed record ManifestConfig(
    int VocabSize, int EmbSize, int HiddenSize, int Layers, bool Bidirectional, int PadToken,
    bool HasDecoder, bool Tied, bool DecoderBias, IReadOnlyList<int> HeadSizes, bool HeadLinearBias, [property: JsonPropertyName("dtype")] string DType);
