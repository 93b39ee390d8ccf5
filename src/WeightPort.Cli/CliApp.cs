using System.CommandLine;

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

    /// <summary>Parses <paramref name="args"/> and runs the chosen command, mapping failures to exit codes.</summary>
    public static int Run(string[] args, CliContext context)
    {
        var root = CreateRoot(context);
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var e in parse.Errors) context.Error.WriteLine($"error: {e.Message}");
            context.Error.WriteLine("Run 'weightport --help' for usage.");
            return ExitCodes.Usage;
        }
        try
        {
            return parse.Invoke(new InvocationConfiguration { Output = context.Out, Error = context.Error, EnableDefaultExceptionHandler = false });
        }
        catch (Exception ex)
        {
            var (code, message) = Describe(ex);
            context.Error.WriteLine(message);
            // A bug, not a bad input: keep the trace on stderr for the report.
            if (code == ExitCodes.InternalError) context.Error.WriteLine(ex.StackTrace);
            return code;
        }
    }

    /// <summary>The exit code and message for an exception that reached the top; unknown types are bugs.</summary>
    internal static (int Code, string Message) Describe(Exception ex) => ex switch
    {
        CheckpointFormatException => (ExitCodes.BadInput, $"error: {LibraryTerms.ToFlags(ex.Message)}"),
        OutputExistsException o => (ExitCodes.Usage, $"error: '{o.FilePath}' exists; use --force to overwrite it"),
        FileNotFoundException f => (ExitCodes.BadInput, $"error: file not found: '{f.FileName ?? f.Message}'"),
        DirectoryNotFoundException => (ExitCodes.BadInput, $"error: {ex.Message}"),
        UsageException => (ExitCodes.Usage, $"error: {ex.Message}"),
        IOException or UnauthorizedAccessException => (ExitCodes.IoError, $"error: {ex.Message}"),
        _ => (ExitCodes.InternalError, $"internal error (please report): {ex.GetType().Name}: {ex.Message}"),
    };
}
