using System.Text.Json;
using WeightPort.Tests.Infrastructure;

namespace WeightPort.Tests.IO;

/// <summary>The corpus's EXPECTED.json entries for safetensors and TorchSharp files (what PyTorch or the header says).</summary>
internal static class CorpusExpectations
{
    public sealed record Entry(string Name, string DType, long[] Shape, string Sha256);

    public static IEnumerable<string> Files(string folder) =>
        Directory.GetFiles(Path.Combine(TestPaths.Corpus, folder)).Select(f => folder + "/" + Path.GetFileName(f)).Order(StringComparer.Ordinal);

    public static List<Entry> EntriesOf(string relative)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(TestPaths.Corpus, "EXPECTED.json")));
        if (!doc.RootElement.TryGetProperty(relative, out var file))
            throw new InvalidOperationException($"EXPECTED.json has no entry for {relative}");
        var result = new List<Entry>();
        foreach (var e in file.GetProperty("entries").EnumerateObject())
        {
            result.Add(new Entry(e.Name, e.Value.GetProperty("dtype").GetString()!,
                e.Value.GetProperty("shape").EnumerateArray().Select(x => x.GetInt64()).ToArray(),
                e.Value.GetProperty("sha256").GetString()!));
        }
        return result;
    }
}
