using System.Globalization;
using System.Text.RegularExpressions;
using WeightPort.Tensors;

namespace WeightPort.Fastai;

/// <summary>
/// Recognises a layout from key names (fastai-layouts.md §1) and places it: layer count, direction and head structure
/// from the keys, then the expanded name map must account for every key and find every required one.
/// </summary>
internal static partial class LayoutDetector
{
    /// <summary>More layers or head blocks than this is not an AWD-LSTM (and would make the expansion large).</summary>
    public const int MaxIndex = 64;

    private static readonly string[] Prefixes = ["0.module.", "0.", ""];

    /// <summary>Picks the layout from the key names, or <see cref="FastaiLayout.Passthrough"/> when nothing looks like fastai.</summary>
    /// <exception cref="CheckpointFormatException">fastai-looking keys that fit no layout.</exception>
    public static FastaiLayout Detect(IReadOnlyDictionary<string, TensorInfo> tensors)
    {
        var keys = tensors.Keys;
        bool Has(string k) => tensors.ContainsKey(k);
        bool Any(Func<string, bool> f) => keys.Any(f);

        if (Has("encoder.weight") && Any(k => CanonicalLayerKey().IsMatch(k))) return FastaiLayout.Canonical;

        foreach (string p in Prefixes)
        {
            if (!Has(p + "encoder.weight") && !Any(k => k.StartsWith(p + "rnns.", StringComparison.Ordinal))) continue;
            bool v07 = Has(p + "encoder_with_dropout.embed.weight") || Any(k => MatchAfter(RecurrentWeightKey(), k, p) is { Success: true } m && m.Groups[1].Success);
            bool copy = Any(k => MatchAfter(RecurrentWeightKey(), k, p) is { Success: true } m && !m.Groups[1].Success);
            bool head = Any(k => k.StartsWith("1.layers.", StringComparison.Ordinal));
            switch (p)
            {
                case "0.module.":
                    if (Any(k => NestedHeadKey().IsMatch(k))) return FastaiLayout.ClassifierV2;
                    if (Any(k => FlatHeadKey().IsMatch(k))) return FastaiLayout.ClassifierV1;
                    return copy ? FastaiLayout.ClassifierV1 : FastaiLayout.ClassifierV2;
                case "0.":
                    if (head)
                    {
                        if (v07) return FastaiLayout.ClassifierV07;
                        throw new CheckpointFormatException(CheckpointError.InvalidContent,
                            "classifier with its encoder under '0.' instead of '0.module.' (fastai v1 ≤ 1.0.42, MultiBatchRNNCore) is not supported; " +
                            "force a layout or convert with --layout passthrough");
                    }
                    return v07 ? FastaiLayout.LanguageModelV07 : copy ? FastaiLayout.LanguageModelV1 : FastaiLayout.LanguageModelV2;
                default:
                    return v07 ? FastaiLayout.EncoderV07 : copy ? FastaiLayout.EncoderV1 : FastaiLayout.EncoderV2;
            }
        }

        var fastaiLooking = keys.Where(k => FastaiMarker().IsMatch(k)).Order(StringComparer.Ordinal).ToList();
        if (fastaiLooking.Count > 0)
            throw new CheckpointFormatException(CheckpointError.InvalidContent,
                "keys look like a fastai AWD-LSTM but no embedding 'encoder.weight' or 'rnns.N' layers were found under '0.module.', '0.' or '': " +
                "unexpected keys: " + ListNames(fastaiLooking));
        return FastaiLayout.Passthrough;
    }

    /// <summary>Places <paramref name="layout"/>: counts layers and head blocks, expands the map and checks every key against it.</summary>
    /// <exception cref="CheckpointFormatException">Unexpected or missing keys, listed.</exception>
    public static LayoutStructure Place(FastaiLayout layout, IReadOnlyDictionary<string, TensorInfo> tensors)
    {
        var d = FastaiNameMap.Descriptor(layout);
        int layers = 0;
        bool bidir = false;
        foreach (string k in tensors.Keys)
        {
            var m = MatchAfter(LayerKey(), k, d.EncoderPrefix);
            if (!m.Success) continue;
            int l = ParseIndex(m.Groups[1].Value, k);
            layers = Math.Max(layers, l + 1);
            if (k.EndsWith("_reverse", StringComparison.Ordinal)) bidir = true;
        }
        var head = d.HeadStyle switch
        {
            HeadStyle.Nested => NestedHead(tensors),
            HeadStyle.Flat => FlatHead(tensors),
            HeadStyle.Named => NamedHead(tensors, layout == FastaiLayout.Canonical ? "head." : "1.layers."),
            _ => [],
        };
        if (layers == 0)
            throw new CheckpointFormatException(CheckpointError.InvalidContent,
                $"layout '{layout.Id()}' needs LSTM layers '{d.EncoderPrefix}rnns.N.…' but the checkpoint has none; keys: " + ListNames([.. tensors.Keys]));

        var map = FastaiNameMap.Expand(d, layers, bidir, head);
        // Loops rather than LINQ: LINQ over the map's (string, struct) pairs is JIT-compiled at every start.
        var unexpected = new List<string>();
        foreach (string k in tensors.Keys)
        {
            if (!map.ContainsKey(k)) unexpected.Add(k);
        }
        unexpected.Sort(StringComparer.Ordinal);
        var missing = new List<string>();
        foreach (var (k, m) in map)
        {
            if (m.Presence == AliasPresence.Required && !tensors.ContainsKey(k)) missing.Add(k);
        }
        missing.Sort(StringComparer.Ordinal);
        if (unexpected.Count > 0 || missing.Count > 0)
        {
            string shape = $"{layers} layer{(layers == 1 ? "" : "s")}, {(bidir ? "bidirectional" : "unidirectional")}" +
                (head.Count > 0 ? $", {head.Count} head block{(head.Count == 1 ? "" : "s")}" : "");
            var parts = new List<string>();
            if (unexpected.Count > 0) parts.Add($"{unexpected.Count} unexpected key{(unexpected.Count == 1 ? "" : "s")}: {ListNames(unexpected)}");
            if (missing.Count > 0) parts.Add($"{missing.Count} missing key{(missing.Count == 1 ? "" : "s")}: {ListNames(missing)}");
            throw new CheckpointFormatException(CheckpointError.InvalidContent,
                $"checkpoint does not fit layout '{layout.Id()}' ({shape}): {string.Join("; ", parts)}",
                key: unexpected.Count > 0 ? unexpected[0] : missing[0]);
        }
        return new LayoutStructure(d, layers, bidir, head, map);
    }

    /// <summary>Formats a name list for a message: all names up to 40, then a count.</summary>
    internal static string ListNames(IReadOnlyList<string> names)
    {
        const int Max = 40;
        string shown = string.Join(", ", names.Take(Max).Select(n => "'" + n + "'"));
        return names.Count > Max ? $"{shown} … and {names.Count - Max:N0} more" : shown;
    }

    // v2: 1.layers.K.J.param — BatchNorm is the module with running statistics, Linear the one with a 2-D weight.
    private static List<HeadBlockIndex> NestedHead(IReadOnlyDictionary<string, TensorInfo> tensors)
    {
        var modules = new SortedDictionary<int, SortedDictionary<int, Dictionary<string, TensorInfo>>>();
        foreach (var (k, t) in tensors)
        {
            var m = NestedHeadKey().Match(k);
            if (!m.Success) continue;
            int block = ParseIndex(m.Groups[1].Value, k), j = ParseIndex(m.Groups[2].Value, k);
            if (!modules.TryGetValue(block, out var inner)) modules[block] = inner = new();
            if (!inner.TryGetValue(j, out var ps)) inner[j] = ps = new(StringComparer.Ordinal);
            ps[m.Groups[3].Value] = t;
        }
        var result = new List<HeadBlockIndex>();
        int count = modules.Count == 0 ? 0 : modules.Keys.Max() + 1;
        for (int b = 0; b < count; b++)
        {
            int bn = 0, lin = 2;
            if (modules.TryGetValue(b, out var inner))
            {
                foreach (var (j, ps) in inner) if (IsBatchNorm(ps)) { bn = j; break; }
                foreach (var (j, ps) in inner) if (j != bn && IsLinear(ps)) { lin = j; break; }
            }
            result.Add(new HeadBlockIndex(b, bn, lin));
        }
        return result;
    }

    // v1: 1.layers.I.param over one flat Sequential; pair each BatchNorm with the Linear that follows it.
    private static List<HeadBlockIndex> FlatHead(IReadOnlyDictionary<string, TensorInfo> tensors)
    {
        var modules = new SortedDictionary<int, Dictionary<string, TensorInfo>>();
        foreach (var (k, t) in tensors)
        {
            var m = FlatHeadKey().Match(k);
            if (!m.Success) continue;
            int i = ParseIndex(m.Groups[1].Value, k);
            if (!modules.TryGetValue(i, out var ps)) modules[i] = ps = new(StringComparer.Ordinal);
            ps[m.Groups[2].Value] = t;
        }
        var result = new List<HeadBlockIndex>();
        int? pendingBn = null;
        foreach (var (i, ps) in modules)
        {
            if (IsBatchNorm(ps)) pendingBn = i;
            else if (IsLinear(ps) && pendingBn is int bn)
            {
                result.Add(new HeadBlockIndex(result.Count, bn, i));
                pendingBn = null;
            }
        }
        return result;
    }

    private static List<HeadBlockIndex> NamedHead(IReadOnlyDictionary<string, TensorInfo> tensors, string prefix)
    {
        int count = 0;
        foreach (string k in tensors.Keys)
        {
            var m = MatchAfter(BlockKey(), k, prefix);
            if (m.Success) count = Math.Max(count, ParseIndex(m.Groups[1].Value, k) + 1);
        }
        return [.. Enumerable.Range(0, count).Select(b => new HeadBlockIndex(b, -1, -1))];
    }

    private static bool IsBatchNorm(Dictionary<string, TensorInfo> ps) =>
        ps.ContainsKey("running_mean") || ps.ContainsKey("running_var") || (ps.TryGetValue("weight", out var w) && w.Shape.Count == 1);

    private static bool IsLinear(Dictionary<string, TensorInfo> ps) => ps.TryGetValue("weight", out var w) && w.Shape.Count == 2;

    private static int ParseIndex(string digits, string key)
    {
        if (digits.Length > 3 || !int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out int v) || v >= MaxIndex)
            throw new CheckpointFormatException(CheckpointError.InvalidContent,
                $"module index {digits} in '{key}' exceeds the limit of {MaxIndex} layers or head blocks", key: key);
        return v;
    }

    /// <summary>
    /// Matches <paramref name="pattern"/> against what follows <paramref name="prefix"/> in <paramref name="key"/> (its
    /// <c>^</c> anchors there), so that the per-prefix patterns are source-generated instead of built at run time.
    /// </summary>
    private static Match MatchAfter(Regex pattern, string key, string prefix) =>
        key.StartsWith(prefix, StringComparison.Ordinal) ? pattern.Match(key, prefix.Length, key.Length - prefix.Length) : Match.Empty;

    [GeneratedRegex(@"^rnns\.\d+\.module\.weight_hh_l0(_raw)?$", RegexOptions.CultureInvariant)]
    private static partial Regex RecurrentWeightKey();

    [GeneratedRegex(@"^rnns\.(\d+)\.", RegexOptions.CultureInvariant)]
    private static partial Regex LayerKey();

    [GeneratedRegex(@"^(\d+)\.", RegexOptions.CultureInvariant)]
    private static partial Regex BlockKey();

    [GeneratedRegex(@"^rnns\.\d+\.weight_ih_l0$", RegexOptions.CultureInvariant)]
    private static partial Regex CanonicalLayerKey();

    [GeneratedRegex(@"^1\.layers\.(\d+)\.(\d+)\.(\w+)$", RegexOptions.CultureInvariant)]
    private static partial Regex NestedHeadKey();

    [GeneratedRegex(@"^1\.layers\.(\d+)\.(weight|bias|running_mean|running_var|num_batches_tracked)$", RegexOptions.CultureInvariant)]
    private static partial Regex FlatHeadKey();

    [GeneratedRegex(@"(_raw$|(^|\.)encoder_dp\.|(^|\.)encoder_with_dropout\.|^1\.decoder\.|^1\.layers\.|(^|\.)rnns\.\d+\.)", RegexOptions.CultureInvariant)]
    private static partial Regex FastaiMarker();
}
