namespace WeightPort.Cli;

/// <summary>Where a command writes: stdout for results, stderr for errors and progress. Tests pass StringWriters.</summary>
internal sealed record CliContext(TextWriter Out, TextWriter Error, bool Interactive)
{
    /// <summary>Inputs at least this large get a progress line while converting (on a terminal only); tests lower it.</summary>
    public long ProgressThresholdBytes { get; init; } = 50_000_000;

    /// <summary>The real console; interactive when stdout is a terminal.</summary>
    public static CliContext FromConsole() => new(Console.Out, Console.Error, !Console.IsOutputRedirected);
}
