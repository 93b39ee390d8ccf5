using System.Buffers;
using System.Text.Json;

namespace WeightPort.Fastai;

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
            w.WritePropertyName("source");
            WriteSource(w, manifest.Source);
            w.WriteString("layout", manifest.Layout);
            w.WritePropertyName("config");
            WriteConfig(w, manifest.Config);
            w.WriteStartArray("mappings");
            foreach (var m in manifest.Mappings) WriteMapping(w, m);
            w.WriteEndArray();
            w.WriteStartArray("drops");
            foreach (var d in manifest.Drops)
            {
                w.WriteStartObject();
                w.WriteString("source", d.Source);
                w.WriteString("reason", d.Reason);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartArray("decisions");
            foreach (var d in manifest.Decisions) WriteDecision(w, d);
            w.WriteEndArray();
            w.WritePropertyName("output");
            WriteOutput(w, manifest.Output);
            w.WritePropertyName("vocabulary");
            WriteVocabulary(w, manifest.Vocabulary);
            w.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static void WriteSource(Utf8JsonWriter w, ManifestSource? s)
    {
        if (s is null)
        {
            w.WriteNullValue();
            return;
        }
        w.WriteStartObject();
        w.WriteString("path", s.Path);
        w.WriteNumber("size", s.Size);
        w.WriteString("sha256", s.Sha256);
        w.WriteEndObject();
    }

    private static void WriteConfig(Utf8JsonWriter w, ManifestConfig? c)
    {
        if (c is null)
        {
            w.WriteNullValue();
            return;
        }
        w.WriteStartObject();
        w.WriteNumber("vocab_size", c.VocabSize);
        w.WriteNumber("emb_size", c.EmbSize);
        w.WriteNumber("hidden_size", c.HiddenSize);
        w.WriteNumber("layers", c.Layers);
        w.WriteBoolean("bidirectional", c.Bidirectional);
        w.WriteNumber("pad_token", c.PadToken);
        w.WriteBoolean("has_decoder", c.HasDecoder);
        w.WriteBoolean("tied", c.Tied);
        w.WriteBoolean("decoder_bias", c.DecoderBias);
        w.WritePropertyName("head_sizes");
        if (c.HeadSizes is null) w.WriteNullValue();
        else
        {
            w.WriteStartArray();
            foreach (int size in c.HeadSizes) w.WriteNumberValue(size);
            w.WriteEndArray();
        }
        w.WriteBoolean("head_linear_bias", c.HeadLinearBias);
        w.WriteString("dtype", c.DType);
        w.WriteEndObject();
    }

    private static void WriteMapping(Utf8JsonWriter w, ManifestMapping m)
    {
        w.WriteStartObject();
        w.WriteString("source", m.Source);
        w.WriteString("target", m.Target);
        w.WriteString("source_dtype", m.SourceDType);
        w.WriteString("target_dtype", m.TargetDType);
        w.WritePropertyName("shape");
        if (m.Shape is null) w.WriteNullValue();
        else
        {
            w.WriteStartArray();
            foreach (long d in m.Shape) w.WriteNumberValue(d);
            w.WriteEndArray();
        }
        w.WritePropertyName("lossless");
        if (m.Lossless is bool lossless) w.WriteBooleanValue(lossless);
        else w.WriteNullValue();
        w.WriteEndObject();
    }

    private static void WriteDecision(Utf8JsonWriter w, ManifestDecision d)
    {
        w.WriteStartObject();
        w.WriteString("kind", d.Kind);
        w.WritePropertyName("keys");
        if (d.Keys is null) w.WriteNullValue();
        else
        {
            w.WriteStartArray();
            foreach (string k in d.Keys) w.WriteStringValue(k);
            w.WriteEndArray();
        }
        w.WriteString("verdict", d.Verdict);
        w.WriteString("severity", d.Severity);
        w.WriteString("details", d.Details);
        w.WriteEndObject();
    }

    private static void WriteOutput(Utf8JsonWriter w, ManifestOutput? o)
    {
        if (o is null)
        {
            w.WriteNullValue();
            return;
        }
        w.WriteStartObject();
        w.WriteString("path", o.Path);
        w.WriteString("format", o.Format);
        w.WriteNumber("size", o.Size);
        w.WriteString("sha256", o.Sha256);
        w.WriteEndObject();
    }

    private static void WriteVocabulary(Utf8JsonWriter w, ManifestVocabulary? v)
    {
        if (v is null)
        {
            w.WriteNullValue();
            return;
        }
        w.WriteStartObject();
        w.WriteString("path", v.Path);
        w.WriteNumber("entries", v.Entries);
        w.WriteString("sha256", v.Sha256);
        w.WriteEndObject();
    }
}
