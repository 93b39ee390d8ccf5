using System.Globalization;
using WeightPort.Tensors;

namespace WeightPort.Fastai;

/// <summary>
/// Places a layout on a checkpoint's keys: the layer count, direction and head structure are read from the keys by
/// matching the layout's own name templates, then the expanded name map must account for every key and find every
/// required one.
/// </summary>
internal static class LayoutPlacement
{
    /// <summary>More layers or head blocks than this is not an AWD-LSTM (and would make the expansion large).</summary>
    public const int MaxIndex = 64;

    /// <summary>Places <paramref name="layout"/>, or says how far the keys are from it.</summary>
    /// <exception cref="CheckpointFormatException">An index in a key exceeds <see cref="MaxIndex"/>.</exception>
    public static (LayoutStructure? Structure, LayoutMismatch? Mismatch) TryPlace(LayoutDescriptor layout, IReadOnlyDictionary<string, TensorInfo> tensors)
    {
        int layers = 0;
        bool bidirectional = false;
        foreach (string key in tensors.Keys)
        {
            foreach (var e in layout.Encoder)
            {
                if (!FastaiNameMap.IsLayerRole(e.Role) || Match(e.Template, layout.EncoderPrefix, key) is not { Layer: int l }) continue;
                layers = Math.Max(layers, l + 1);
                bidirectional |= FastaiNameMap.IsReverse(e.Role);
            }
        }
        if (layers == 0) return (null, new LayoutMismatch(layout, 0, false, 0, 0, [], []));

        var head = layout.HeadStyle switch
        {
            HeadStyle.Nested or HeadStyle.Flat => IndexedHead(layout, tensors),
            HeadStyle.Named => NamedHead(layout, tensors),
            _ => [],
        };
        var map = FastaiNameMap.Expand(layout, layers, bidirectional, head);
        var unexpected = new List<string>();
        foreach (string k in tensors.Keys)
            if (!map.ContainsKey(k)) unexpected.Add(k);
        var missing = new List<string>();
        foreach (var (k, m) in map)
            if (m.Presence == AliasPresence.Required && !tensors.ContainsKey(k)) missing.Add(k);
        if (unexpected.Count == 0 && missing.Count == 0)
            return (new LayoutStructure(layout, layers, bidirectional, head, map), null);
        unexpected.Sort(StringComparer.Ordinal);
        missing.Sort(StringComparer.Ordinal);
        return (null, new LayoutMismatch(layout, layers, bidirectional, head.Count, tensors.Count - unexpected.Count, unexpected, missing));
    }

    /// <summary>Places <paramref name="layout"/>, which the caller chose.</summary>
    /// <exception cref="CheckpointFormatException">Unexpected or missing keys, listed.</exception>
    public static LayoutStructure Place(LayoutDescriptor layout, IReadOnlyDictionary<string, TensorInfo> tensors)
    {
        var (structure, mismatch) = TryPlace(layout, tensors);
        return structure ?? throw mismatch!.ToException();
    }

    /// <summary>
    /// Matches <paramref name="key"/> against <paramref name="template"/> with <c>{p}</c> = <paramref name="prefix"/>:
    /// literal segments must be equal, index placeholders match decimal numbers, which are returned.
    /// </summary>
    /// <exception cref="CheckpointFormatException">A matched index is <see cref="MaxIndex"/> or more.</exception>
    public static NamePlaceholders? Match(string template, string prefix, string key)
    {
        string[] want = new NamePlaceholders(prefix).Fill(template).Split('.');
        string[] have = key.Split('.');
        if (want.Length != have.Length) return null;
        var values = new NamePlaceholders(prefix);
        for (int i = 0; i < want.Length; i++)
        {
            string w = want[i], h = have[i];
            if (!w.StartsWith('{'))
            {
                if (w != h) return null;
                continue;
            }
            if (h.Length == 0 || !h.All(char.IsAsciiDigit)) return null;
            int index = ParseIndex(h, key);
            values = w switch
            {
                "{layer}" => values with { Layer = index },
                "{block}" => values with { Block = index },
                "{bn}" => values with { BatchNorm = index },
                "{lin}" => values with { Linear = index },
                _ => throw new InvalidOperationException($"unknown placeholder {w} in template '{template}'"),
            };
        }
        return values;
    }

    // v1 (1.layers.I.param over one flat Sequential) and v2 (1.layers.K.J.param, a Sequential of LinBnDrop blocks): the
    // BatchNorm is the module with running statistics, the Linear the one with a 2-D weight. v1 pairs each BatchNorm
    // with the Linear that follows it in the flat Sequential.
    private static List<HeadBlockIndex> IndexedHead(LayoutDescriptor layout, IReadOnlyDictionary<string, TensorInfo> tensors)
    {
        var modules = new SortedDictionary<(int Block, int Module), Dictionary<string, TensorInfo>>();
        foreach (var (key, tensor) in tensors)
        {
            foreach (var e in layout.Head)
            {
                if (Match(e.Template, layout.EncoderPrefix, key) is not { } v) continue;
                int module = v.BatchNorm ?? v.Linear ?? throw new InvalidOperationException($"head template '{e.Template}' has no module index");
                var at = (v.Block ?? 0, module);
                if (!modules.TryGetValue(at, out var parameters)) modules[at] = parameters = new(StringComparer.Ordinal);
                parameters[e.Template[(e.Template.LastIndexOf('.') + 1)..]] = tensor;
            }
        }
        var result = new List<HeadBlockIndex>();
        if (layout.HeadStyle == HeadStyle.Flat)
        {
            int? pendingBn = null;
            foreach (var ((_, i), ps) in modules)
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
        int blocks = modules.Count == 0 ? 0 : modules.Keys.Max(k => k.Block) + 1;
        for (int b = 0; b < blocks; b++)
        {
            // Defaults for a block whose modules are all missing: the layout's usual positions, so the keys get listed.
            int bn = 0, linear = 2;
            foreach (var ((block, j), ps) in modules) if (block == b && IsBatchNorm(ps)) { bn = j; break; }
            foreach (var ((block, j), ps) in modules) if (block == b && j != bn && IsLinear(ps)) { linear = j; break; }
            result.Add(new HeadBlockIndex(b, bn, linear));
        }
        return result;
    }

    // v0.7 (1.layers.K.bn/.lin) and canonical (head.K.bn/.linear): the modules have names, only blocks are counted.
    private static List<HeadBlockIndex> NamedHead(LayoutDescriptor layout, IReadOnlyDictionary<string, TensorInfo> tensors)
    {
        int count = 0;
        foreach (string key in tensors.Keys)
            foreach (var e in layout.Head)
                if (Match(e.Template, layout.EncoderPrefix, key) is { Block: int b }) count = Math.Max(count, b + 1);
        return [.. Enumerable.Range(0, count).Select(b => new HeadBlockIndex(b))];
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
}
