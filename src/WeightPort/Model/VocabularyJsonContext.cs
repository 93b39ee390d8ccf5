using System.Text.Json.Serialization;

namespace WeightPort.Model;

/// <summary>Source-generated JSON for <see cref="Vocabulary.Load"/> (the library is trimmable and AOT-compatible).</summary>
[JsonSerializable(typeof(string[]))]
internal sealed partial class VocabularyJsonContext : JsonSerializerContext;
