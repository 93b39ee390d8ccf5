namespace WeightPort.Cli;

/// <summary>A command-line mistake found after parsing (conflicting options, a missing companion file).</summary>
internal sealed class UsageException(string message) : Exception(message);
