using System.Text.RegularExpressions;

namespace WeightPort.Cli;

/// <summary>
/// The library says what to do in its own terms, the property that changes the behaviour; on the command line that
/// property is a flag, which is what the user needs to read.
/// </summary>
internal static class LibraryTerms
{
    private static readonly (string Option, string Flag)[] Flags =
    [
        ("FastaiOptions.AllowEmbeddingMismatch", "--allow-embedding-mismatch"),
        ("FastaiOptions.Layout", "--layout"),
        ("FastaiOptions.IgnoredSubtrees", "--ignore"),
        ("CheckpointReadOptions.IgnoredSubtrees", "--ignore"),
        ("CheckpointReadOptions.ReportUnsafeGlobals", "inspect --scan"),
        ("ConversionOptions.Vocabulary", "--vocab"),
        ("ConvertTarget.Overwrite", "--force"),
        ("VerifyOptions.ReferencePath", "--reference"),
    ];

    private static readonly (Regex Pattern, string Option, string Flag)[] Patterns =
        [.. Flags.Select(f => (new Regex($@"add '(?<value>[^']*)' to {Regex.Escape(f.Option)}|set {Regex.Escape(f.Option)}\b|\b{Regex.Escape(f.Option)}\b(?<set> is set)?", RegexOptions.CultureInvariant), f.Option, f.Flag))];

    /// <summary>
    /// Names the flag beside each library option the message mentions: "set X" becomes "use --flag (X)", "add 'k' to X"
    /// becomes "use --flag 'k' (X)", any other mention of X becomes "--flag (X)".
    /// </summary>
    public static string ToFlags(string message)
    {
        foreach (var (pattern, option, flag) in Patterns)
        {
            message = pattern.Replace(message, m =>
                m.Groups["value"].Success ? $"use {flag} '{m.Groups["value"].Value}' ({option})"
                : m.Value.StartsWith("set ", StringComparison.Ordinal) ? $"use {flag} ({option})"
                : $"{flag} ({option}){m.Groups["set"].Value}");
        }
        return message;
    }
}
