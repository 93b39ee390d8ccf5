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
    public static string DefaultOutputPath(this OutputFormat f, string input) =>
        Path.Combine(Path.GetDirectoryName(Path.GetFullPath(input)) ?? ".", f.DefaultFileName(input));

    /// <summary>The default output file name for <paramref name="input"/>: its name with the format's extension (<see cref="DefaultSuffix"/>).</summary>
    public static string DefaultFileName(this OutputFormat f, string input) => Path.GetFileNameWithoutExtension(input) + f.DefaultSuffix();

    /// <summary>What a default output name ends with: <c>.dat</c>, <c>.safetensors</c>, <c>.clean.pth</c>.</summary>
    public static string DefaultSuffix(this OutputFormat f) => f switch
    {
        OutputFormat.TorchSharp => ".dat",
        OutputFormat.Safetensors => ".safetensors",
        OutputFormat.Pth => ".clean.pth",
        _ => throw new ArgumentOutOfRangeException(nameof(f)),
    };

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
