namespace WeightPort.Cli;

/// <summary>
/// A failure as the user sees it: the exit code, a one-line message, and the facts a program reading <c>--json</c>
/// needs (a stable code, the file, where in it).
/// </summary>
/// <param name="ExitCode">The process exit code (<see cref="ExitCodes"/>).</param>
/// <param name="Code">A stable identifier: a <see cref="CheckpointError"/> name for a bad file, else <c>usage</c>, <c>file_not_found</c> ….</param>
/// <param name="Message">The message, with library option names mapped to flags.</param>
/// <param name="Path">The file concerned, if known.</param>
/// <param name="Offset">The byte offset, if known.</param>
/// <param name="Key">The key concerned, if known.</param>
/// <param name="Entry">The archive entry or pickle the offset is in, if any.</param>
internal sealed record CliError(int ExitCode, string Code, string Message, string? Path = null, long? Offset = null, string? Key = null, string? Entry = null);
