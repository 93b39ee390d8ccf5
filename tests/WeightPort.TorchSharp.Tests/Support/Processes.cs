using System.Diagnostics;

namespace WeightPort.TorchSharp.Tests.Support;

/// <summary>Runs the real CLI and real PyTorch as child processes.</summary>
internal static class Processes
{
    public const string Python = "/usr/bin/python3";

    public static string DotnetHost
    {
        get
        {
            if (Environment.ProcessPath is { } self && Path.GetFileNameWithoutExtension(self) == "dotnet") return self;
            if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host)) return host;
            return "dotnet";
        }
    }

    /// <summary><c>weightport ARGS</c> from the test's output folder.</summary>
    public static (int Code, string Out, string Err) WeightPort(params string[] args)
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "weightport.dll");
        if (!File.Exists(dll)) throw new InvalidOperationException($"weightport.dll is not in '{AppContext.BaseDirectory}'");
        return Run(DotnetHost, [dll, .. args]);
    }

    /// <summary><c>python3 ARGS</c> (Debian's python3-torch).</summary>
    public static (int Code, string Out, string Err) PythonScript(params string[] args) => Run(Python, args);

    public static (int Code, string Out, string Err) Run(string file, IEnumerable<string> args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["PYTHONDONTWRITEBYTECODE"] = "1";
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {file}");
        var so = p.StandardOutput.ReadToEndAsync();
        var se = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(3)))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish in 3 minutes");
        }
        return (p.ExitCode, so.Result, se.Result);
    }
}
