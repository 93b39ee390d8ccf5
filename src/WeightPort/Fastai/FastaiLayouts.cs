using System.Diagnostics.CodeAnalysis;

namespace WeightPort.Fastai;

/// <summary>Stable text identifiers of <see cref="FastaiLayout"/> values (CLI <c>--layout</c>, manifests, reports).</summary>
public static class FastaiLayouts
{
    private static readonly (FastaiLayout Layout, string Id)[] Ids =
    [
        (FastaiLayout.Passthrough, "passthrough"),
        (FastaiLayout.Canonical, "canonical"),
        (FastaiLayout.LanguageModelV07, "v0.7-lm"),
        (FastaiLayout.LanguageModelV1, "v1-lm"),
        (FastaiLayout.LanguageModelV2, "v2-lm"),
        (FastaiLayout.EncoderV07, "v0.7-encoder"),
        (FastaiLayout.EncoderV1, "v1-encoder"),
        (FastaiLayout.EncoderV2, "v2-encoder"),
        (FastaiLayout.ClassifierV07, "v0.7-classifier"),
        (FastaiLayout.ClassifierV1, "v1-classifier"),
        (FastaiLayout.ClassifierV2, "v2-classifier"),
    ];

    /// <summary>All identifiers, in declaration order.</summary>
    public static IReadOnlyList<string> AllIds { get; } = [.. Ids.Select(i => i.Id)];

    /// <summary>The identifier of <paramref name="layout"/>, e.g. <c>v1-lm</c>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="layout"/> is not a defined value.</exception>
    public static string Id(this FastaiLayout layout)
    {
        foreach (var (l, id) in Ids) if (l == layout) return id;
        throw new ArgumentOutOfRangeException(nameof(layout));
    }

    /// <summary>Parses an identifier (case-insensitive); also accepts the enum member name.</summary>
    public static bool TryParse(string text, [NotNullWhen(true)] out FastaiLayout? layout)
    {
        foreach (var (l, id) in Ids)
        {
            if (string.Equals(id, text, StringComparison.OrdinalIgnoreCase) || string.Equals(l.ToString(), text, StringComparison.OrdinalIgnoreCase))
            {
                layout = l;
                return true;
            }
        }
        layout = null;
        return false;
    }
}
