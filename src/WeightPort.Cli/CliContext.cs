namespace WeightPort.Cli;

/// <summary>Where a command writes: stdout for results, stderr for errors and progress. Tests pass StringWriters.</summary>
internal sealed record CliContext(TextWriter Out, TextWriter Error, bool Interactive)
{
    /// <summary>The real console; interactive when stdout is a terminal.</summary>
    public static CliContext FromConsole() => new(Console.Out, Console.Error, !Console.IsOutputRedirected);
}
