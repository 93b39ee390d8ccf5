using System.Diagnostics.CodeAnalysis;

namespace WeightPort.Conversion;

/// <summary>Names and file extensions of <see cref="OutputFormat"/>.</summary>
internal static class OutputFormats
{
    /// <summary>The id used on the command line and in manifests: <c>torchsharp</c>, <c>safetensors</c>, <c>pth</c>.</summary>
    public static string Id(this OutputFormat f) => f switch
    {
        OutputFormat.TorchSharp => "torchsharp",
        OutputFormat.Safetensors => "safetensors",
        OutputFormat.Pth => "pth",
        _ => throw new ArgumentOutOfRangeException(nameof(f)),
    };

    /// <summary>The default output path for <paramref name="input"/>: beside it, with the format's extension.</summary>
    public static string DefaultOutputPath(this OutputFormat f, string input)
    {
        string stem = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(input)) ?? ".", Path.GetFileNameWithoutExtension(input));
        return f switch
        {
            OutputFormat.TorchSharp => stem + ".dat",
            OutputFormat.Safetensors => stem + ".safetensors",
            OutputFormat.Pth => stem + ".clean.pth",
            _ => throw new ArgumentOutOfRangeException(nameof(f)),
        };
    }

    /// <summary>Parses an id.</summary>
    public static bool TryParse(string text, [NotNullWhen(true)] out OutputFormat? format)
    {
        foreach (var f in Enum.GetValues<OutputFormat>())
        {
            if (string.Equals(f.Id(), text, StringComparison.OrdinalIgnoreCase)) { format = f; return true; }
        }
        format = null;
        return false;
    }
}
