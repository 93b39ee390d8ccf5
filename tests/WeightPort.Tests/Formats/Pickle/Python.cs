using System.Diagnostics;
using WeightPort.Tests.Infrastructure;

namespace WeightPort.Tests.Formats.Pickle;

/// <summary>Runs Debian's python3 (with torch) for tests. A missing interpreter fails the test; it never skips it.</summary>
internal static class Python
{
    public static string Run(string script, string? stdin = null, string? workingDirectory = null)
    {
        var psi = new ProcessStartInfo(TestPaths.Python)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Path.GetTempPath(),
        };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(script);
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {TestPaths.Python}");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        p.StandardInput.Write(stdin ?? "");
        p.StandardInput.Close();
        if (!p.WaitForExit(120_000))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException("python3 did not finish in 120 s");
        }
        if (p.ExitCode != 0) throw new InvalidOperationException($"python3 failed ({p.ExitCode}): {stderr.Result}");
        return stdout.Result;
    }

    /// <summary>Runs a script that prints base64 bytes and returns them.</summary>
    public static byte[] Bytes(string script) => Convert.FromBase64String(Run(script).Trim());
}
