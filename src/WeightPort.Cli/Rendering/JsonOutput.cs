using System.Text;
using System.Text.Json;

namespace WeightPort.Cli.Rendering;

/// <summary>
/// Writes JSON with <see cref="Utf8JsonWriter"/> directly: no reflection, so the trimmed single-file CLI keeps working.
/// </summary>
internal static class JsonOutput
{
    /// <summary>Runs <paramref name="write"/> against an indented writer and prints the result to <paramref name="output"/>.</summary>
    public static void Write(TextWriter output, Action<Utf8JsonWriter> write)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            write(writer);
        }
        output.WriteLine(Encoding.UTF8.GetString(buffer.ToArray()));
    }

    /// <summary>Writes an array of longs as a property.</summary>
    public static void WriteLongs(this Utf8JsonWriter w, string name, IEnumerable<long> values)
    {
        w.WriteStartArray(name);
        foreach (long v in values) w.WriteNumberValue(v);
        w.WriteEndArray();
    }
}
