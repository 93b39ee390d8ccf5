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
        catch (CheckpointFormatException ex)
        {
            context.Error.WriteLine($"error: {ex.Message}");
            return ExitCodes.BadInput;
        }
        catch (FileNotFoundException ex)
        {
            context.Error.WriteLine($"error: file not found: '{ex.FileName ?? ex.Message}'");
            return ExitCodes.BadInput;
        }
        catch (DirectoryNotFoundException ex)
        {
            context.Error.WriteLine($"error: {ex.Message}");
            return ExitCodes.BadInput;
        }
        catch (UsageException ex)
        {
            context.Error.WriteLine($"error: {ex.Message}");
            return ExitCodes.Usage;
        }
        catch (IOException ex)
        {
            context.Error.WriteLine($"error: {ex.Message}");
            return ExitCodes.IoError;
        }
        catch (UnauthorizedAccessException ex)
        {
            context.Error.WriteLine($"error: {ex.Message}");
            return ExitCodes.IoError;
        }
        catch (Exception ex)
        {
            // A bug, not a bad input: say so plainly, keep the trace on stderr for the report.
            context.Error.WriteLine($"internal error (please report): {ex.GetType().Name}: {ex.Message}");
            context.Error.WriteLine(ex.StackTrace);
            return ExitCodes.InternalError;
        }
    }
}
