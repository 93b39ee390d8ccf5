using System.Buffers;
using System.Text.Json;

namespace WeightPort.Conversion;

/// <summary>
/// Writes a <see cref="ConversionManifest"/> as the JSON that <see cref="ManifestJsonContext"/> produces (indented,
/// snake_case, nulls written), with <see cref="Utf8JsonWriter"/> directly.
/// </summary>
/// <remarks>
/// The serializer's first call in a process costs about 10 ms of start-up (its metadata and converters), which is
/// most of what <c>convert</c> does after the weights are written. Reading manifests still goes through the
/// serializer; a test checks that this writer's output is byte-for-byte the serializer's.
/// </remarks>
internal static class ManifestJsonWriter
{
    private static readonly JsonWriterOptions Options = new() { Indented = true };

    public static string Write(ConversionManifest manifest)
    {
        var buffer = new ArrayBufferWriter<byte>(16 * 1024);
        using (var w = new Utf8JsonWriter(buffer, Options))
        {
            w.WriteStartObject();
            w.WriteNumber("manifest_version", manifest.ManifestVersion);
            w.WriteString("tool", manifest.Tool);
            Object(w, "source", manifest.Source, s =>
            {
                w.WriteString("path", s.Path);
                w.WriteNumber("size", s.Size);
                w.WriteString("sha256", s.Sha256);
            });
            w.WriteString("layout", manifest.Layout);
            Object(w, "config", manifest.Config, c =>
            {
                w.WriteNumber("vocab_size", c.VocabSize);
                w.WriteNumber("emb_size", c.EmbSize);
                w.WriteNumber("hidden_size", c.HiddenSize);
                w.WriteNumber("layers", c.Layers);
                w.WriteBoolean("bidirectional", c.Bidirectional);
                w.WriteNumber("pad_token", c.PadToken);
                w.WriteBoolean("has_decoder", c.HasDecoder);
                w.WriteBoolean("tied", c.Tied);
                w.WriteBoolean("decoder_bias", c.DecoderBias);
                Array(w, "head_sizes", c.HeadSizes, size => w.WriteNumberValue(size));
                w.WriteBoolean("head_linear_bias", c.HeadLinearBias);
                w.WriteString("dtype", c.DType);
            });
            Array(w, "mappings", manifest.Mappings, item => Object(w, null, item, m =>
            {
                w.WriteString("source", m.Source);
                w.WriteString("target", m.Target);
                w.WriteString("source_dtype", m.SourceDType);
                w.WriteString("target_dtype", m.TargetDType);
                Array(w, "shape", m.Shape, d => w.WriteNumberValue(d));
                w.WritePropertyName("lossless");
                if (m.Lossless is bool lossless) w.WriteBooleanValue(lossless);
                else w.WriteNullValue();
            }));
            Array(w, "drops", manifest.Drops, item => Object(w, null, item, d =>
            {
                w.WriteString("source", d.Source);
                w.WriteString("reason", d.Reason);
            }));
            Array(w, "decisions", manifest.Decisions, item => Object(w, null, item, d =>
            {
                w.WriteString("kind", d.Kind);
                Array(w, "keys", d.Keys, k => w.WriteStringValue(k));
                w.WriteString("verdict", d.Verdict);
                w.WriteString("severity", d.Severity);
                w.WriteString("details", d.Details);
            }));
            Object(w, "output", manifest.Output, o =>
            {
                w.WriteString("path", o.Path);
                w.WriteString("format", o.Format);
                w.WriteNumber("size", o.Size);
                w.WriteString("sha256", o.Sha256);
            });
            Object(w, "vocabulary", manifest.Vocabulary, v =>
            {
                w.WriteString("path", v.Path);
                w.WriteNumber("entries", v.Entries);
                w.WriteString("sha256", v.Sha256);
            });
            Object(w, "stale_vocabulary", manifest.StaleVocabulary, v =>
            {
                w.WriteString("path", v.Path);
                w.WriteString("sha256", v.Sha256);
                w.WriteString("reason", v.Reason);
            });
            w.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>An object (as a property when <paramref name="name"/> is set, else as an array element), or null as the serializer writes it.</summary>
    private static void Object<T>(Utf8JsonWriter w, string? name, T? value, Action<T> members) where T : class
    {
        if (name is not null) w.WritePropertyName(name);
        if (value is null)
        {
            w.WriteNullValue();
            return;
        }
        w.WriteStartObject();
        members(value);
        w.WriteEndObject();
    }

    /// <summary>An array property, or null as the serializer writes it.</summary>
    private static void Array<T>(Utf8JsonWriter w, string name, IEnumerable<T>? values, Action<T> element)
    {
        w.WritePropertyName(name);
        if (values is null)
        {
            w.WriteNullValue();
            return;
        }
        w.WriteStartArray();
        foreach (var v in values) element(v);
        w.WriteEndArray();
    }
}
