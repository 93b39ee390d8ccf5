using System.CommandLine;
using WeightPort.Cli.Rendering;

namespace WeightPort.Cli;

/// <summary>Builds the command tree and runs it; Main and the tests both come through here.</summary>
internal static class CliApp
{
    /// <summary>The root command with every verb.</summary>
    public static RootCommand CreateRoot(CliContext context)
    {
        var root = new RootCommand("WeightPort: read fastai AWD-LSTM / PyTorch checkpoints safely, convert them for .NET, and verify the C# model against PyTorch.");
        root.Add(InspectCommand.Create(context));
        root.Add(ConvertCommand.Create(context));
        root.Add(VerifyCommand.Create(context));
        return root;
    }

    /// <summary>
    /// Parses <paramref name="args"/> and runs the chosen command, mapping failures to exit codes. With <c>--json</c>, a
    /// failure is a JSON object on stdout (what a program reads) instead of a line on stderr; the exit code is the same.
    /// </summary>
    public static int Run(string[] args, CliContext context)
    {
        var root = CreateRoot(context);
        var parse = root.Parse(args);
        bool json = args.Contains("--json", StringComparer.Ordinal);
        if (parse.Errors.Count > 0)
        {
            string message = string.Join("; ", parse.Errors.Select(e => e.Message.ReplaceLineEndings(" ").Replace("\t", "", StringComparison.Ordinal)));
            return Report(context, json, new CliError(ExitCodes.Usage, "usage", message), "Run 'weightport --help' for usage.");
        }
        try
        {
            return parse.Invoke(new InvocationConfiguration { Output = context.Out, Error = context.Error, EnableDefaultExceptionHandler = false });
        }
        catch (Exception ex)
        {
            var error = Describe(ex);
            int code = Report(context, json, error, null);
            // A bug, not a bad input: keep the trace on stderr for the report.
            if (code == ExitCodes.InternalError) context.Error.WriteLine(ex.StackTrace);
            return code;
        }
    }

    private static int Report(CliContext context, bool json, CliError error, string? hint)
    {
        if (json)
        {
            JsonOutput.Write(context.Out, w =>
            {
                w.WriteStartObject();
                w.WriteString("code", error.Code);
                w.WriteNumber("exit_code", error.ExitCode);
                w.WriteString("message", error.Message);
                w.WriteString("path", error.Path);
                if (error.Offset is long offset) w.WriteNumber("offset", offset);
                else w.WriteNull("offset");
                w.WriteString("key", error.Key);
                w.WriteString("entry", error.Entry);
                w.WriteEndObject();
            });
            return error.ExitCode;
        }
        context.Error.WriteLine(error.ExitCode == ExitCodes.InternalError ? error.Message : $"error: {error.Message}");
        if (hint is not null) context.Error.WriteLine(hint);
        return error.ExitCode;
    }

    /// <summary>The exit code, message and facts for an exception that reached the top; unknown types are bugs.</summary>
    internal static CliError Describe(Exception ex) => ex switch
    {
        CheckpointFormatException f => new(ExitCodes.BadInput, f.Error.ToString(), LibraryTerms.ToFlags(f.Message), f.FilePath, f.Offset, f.Key, f.Entry),
        OutputExistsException o => new(ExitCodes.Usage, "output_exists", $"'{o.FilePath}' exists; use --force to overwrite it", o.FilePath),
        FileNotFoundException f => new(ExitCodes.BadInput, "file_not_found", $"file not found: '{f.FileName ?? f.Message}'", f.FileName),
        DirectoryNotFoundException => new(ExitCodes.BadInput, "file_not_found", ex.Message),
        UsageException => new(ExitCodes.Usage, "usage", ex.Message),
        DeviceUnavailableException => new(ExitCodes.DeviceUnavailable, "device_unavailable", ex.Message),
        IOException or UnauthorizedAccessException => new(ExitCodes.IoError, "io_error", ex.Message),
        _ => new(ExitCodes.InternalError, "internal_error", $"internal error (please report): {ex.GetType().Name}: {ex.Message}"),
    };
}
