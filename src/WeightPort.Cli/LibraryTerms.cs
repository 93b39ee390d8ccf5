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
        ("ConvertTarget.Overwrite", "--force"),
        ("VerifyOptions.ReferencePath", "--reference"),
    ];

    /// <summary>Names the flag beside each library option the message mentions: "set X" becomes "use --flag (X)".</summary>
    public static string ToFlags(string message)
    {
        foreach (var (option, flag) in Flags)
        {
            message = message.Replace("set " + option, $"use {flag} ({option})", StringComparison.Ordinal)
                .Replace(option + " is set", $"{flag} ({option}) is set", StringComparison.Ordinal);
        }
        return message;
    }
}
