using System.Diagnostics;
using WeightPort.Tests.Infrastructure;
using Xunit;

namespace WeightPort.Tests.Formats.Torch.Writing;

/// <summary>Runs a script under the real PyTorch (Debian python3-torch). A missing python or torch fails the test.</summary>
internal static class PythonTorch
{
    public static string Run(string script, params string[] args)
    {
        var psi = new ProcessStartInfo(TestPaths.Python)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(script);
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var process = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {TestPaths.Python}");
        var stderr = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(TimeSpan.FromMinutes(3)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail("python timed out");
        }
        Assert.True(process.ExitCode == 0, $"python exited with {process.ExitCode}:\n{stderr.Result}");
        return stdout;
    }
}
