using WeightPort.Cli;

namespace WeightPort.Tests.Infrastructure;

/// <summary>Runs the CLI in-process with captured output.</summary>
public static class CliRunner
{
    /// <summary>The exit code and what went to stdout and stderr.</summary>
    public sealed record Result(int ExitCode, string Out, string Error);

    /// <summary>Runs <c>weightport</c> with <paramref name="args"/>.</summary>
    public static Result Run(params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        int code = CliApp.Run(args, new CliContext(o, e, Interactive: false));
        return new Result(code, o.ToString(), e.ToString());
    }
}
