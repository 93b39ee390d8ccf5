using System.Globalization;

namespace WeightPort.Fastai;

/// <summary>
/// The values that fill an <see cref="AliasEntry"/> template: <c>{p}</c> (the encoder prefix), <c>{layer}</c>,
/// <c>{block}</c>, <c>{bn}</c> and <c>{lin}</c> (Sequential indices of a head block's BatchNorm and Linear). A
/// placeholder whose value is null is left in the name, so a template can be filled in stages.
/// </summary>
internal readonly record struct NamePlaceholders(string Prefix = "", int? Layer = null, int? Block = null, int? BatchNorm = null, int? Linear = null)
{
    /// <summary>The template with every placeholder that has a value replaced.</summary>
    public string Fill(string template)
    {
        string s = template.Replace("{p}", Prefix, StringComparison.Ordinal);
        s = Replace(s, "{layer}", Layer);
        s = Replace(s, "{block}", Block);
        s = Replace(s, "{bn}", BatchNorm);
        return Replace(s, "{lin}", Linear);
    }

    private static string Replace(string s, string placeholder, int? value) =>
        value is int v ? s.Replace(placeholder, v.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal) : s;
}
