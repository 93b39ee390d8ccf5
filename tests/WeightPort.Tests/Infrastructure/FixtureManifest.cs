using System.Text.Json;

namespace WeightPort.Tests.Infrastructure;

/// <summary>Reads fixtures/fixtures.json, which tools/make_fixtures.py wrote from what real PyTorch loaded.</summary>
public static class FixtureManifest
{
    private static readonly Lazy<JsonDocument> Doc = new(() => JsonDocument.Parse(File.ReadAllText(Path.Combine(TestPaths.Fixtures, "fixtures.json"))));

    /// <summary>The entry of one fixture file.</summary>
    public static JsonElement Entry(string name) => Doc.Value.RootElement.GetProperty(name);

    /// <summary>Fixture names whose layout starts with <paramref name="layoutPrefix"/> (e.g. <c>fastai-</c>), excluding negative fixtures unless asked and pickles (the vocabulary).</summary>
    public static IEnumerable<string> Names(string layoutPrefix, bool includeNegative = false) =>
        Doc.Value.RootElement.EnumerateObject()
            .Where(p => p.Value.TryGetProperty("layout", out var l) && l.GetString()!.StartsWith(layoutPrefix, StringComparison.Ordinal))
            .Where(p => p.Value.GetProperty("format").GetString() != "pickle")
            .Where(p => includeNegative || !(p.Value.TryGetProperty("negative", out var n) && n.GetBoolean()))
            .Select(p => p.Name);

    /// <summary>Dotted tensor path → sha256 of its contiguous little-endian values, as PyTorch computed them.</summary>
    public static Dictionary<string, string> TensorHashes(string name)
    {
        var shas = new Dictionary<string, string>(StringComparer.Ordinal);
        FlattenTensors(Entry(name).GetProperty("value"), shas);
        return shas;
    }

    /// <summary>Adds every tensor under a fixtures.json/large.json <c>value</c> node to <paramref name="shas"/> by dotted path.</summary>
    public static void FlattenTensors(JsonElement value, Dictionary<string, string> shas) => Flatten(value, "", shas);

    private static void Flatten(JsonElement node, string path, Dictionary<string, string> shas)
    {
        if (node.ValueKind != JsonValueKind.Object) return;
        if (node.TryGetProperty("tensor", out var t))
        {
            shas[path] = t.GetProperty("sha256").GetString()!;
            return;
        }
        if (node.TryGetProperty("dict", out var dict))
        {
            foreach (var kv in dict.EnumerateArray())
            {
                string key = kv[0].ValueKind == JsonValueKind.String ? kv[0].GetString()! : kv[0].GetRawText();
                Flatten(kv[1], path.Length == 0 ? key : path + "." + key, shas);
            }
            return;
        }
        foreach (var prop in node.EnumerateObject())
        {
            if (prop.Value.ValueKind == JsonValueKind.Array)
            {
                int i = 0;
                foreach (var item in prop.Value.EnumerateArray()) Flatten(item, path.Length == 0 ? $"{i++}" : $"{path}.{i++}", shas);
            }
        }
    }
}
