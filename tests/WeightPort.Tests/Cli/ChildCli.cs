using System.Diagnostics;

namespace WeightPort.Tests.Cli;

/// <summary>
/// Runs the real <c>weightport</c> CLI as a separate process (<c>dotnet weightport.dll</c> from this test's output
/// folder, where the CLI project reference puts it), so that it can be killed like a real process: no finally
/// blocks, no Dispose, only what the kernel does with a SIGKILLed process's files and locks.
/// </summary>
internal sealed class ChildCli : IDisposable
{
    private readonly Process _process;
    private readonly Task<string> _out;
    private readonly Task<string> _err;
    private readonly Stopwatch _clock;

    private ChildCli(Process process, Stopwatch clock)
    {
        _process = process;
        _clock = clock;
        _out = process.StandardOutput.ReadToEndAsync();
        _err = process.StandardError.ReadToEndAsync();
    }

    /// <summary>The CLI's main assembly beside the test assembly.</summary>
    public static string CliDll
    {
        get
        {
            string dll = Path.Combine(AppContext.BaseDirectory, "weightport.dll");
            if (!File.Exists(dll) || !File.Exists(Path.Combine(AppContext.BaseDirectory, "weightport.runtimeconfig.json")))
                throw new InvalidOperationException($"weightport.dll and its runtimeconfig.json are not in '{AppContext.BaseDirectory}'; the test project must reference src/WeightPort.Cli");
            return dll;
        }
    }

    /// <summary>
    /// The <c>dotnet</c> host: the one running these tests when it is a <c>dotnet</c> executable, else
    /// <c>DOTNET_HOST_PATH</c> (set by the SDK for <c>dotnet test</c>), else <c>dotnet</c> on the PATH.
    /// </summary>
    public static string DotnetHost
    {
        get
        {
            if (Environment.ProcessPath is { } self && Path.GetFileNameWithoutExtension(self) == "dotnet") return self;
            if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host)) return host;
            return "dotnet";
        }
    }

    /// <summary>Milliseconds since the process was started.</summary>
    public double ElapsedMs => _clock.Elapsed.TotalMilliseconds;

    /// <summary>Starts <c>weightport ARGS</c>.</summary>
    public static ChildCli Start(params string[] args)
    {
        var psi = new ProcessStartInfo(DotnetHost)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetTempPath(),
        };
        psi.ArgumentList.Add(CliDll);
        foreach (string a in args) psi.ArgumentList.Add(a);
        var clock = Stopwatch.StartNew();
        var p = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {DotnetHost} {CliDll}");
        return new ChildCli(p, clock);
    }

    /// <summary>Runs <c>weightport ARGS</c> to the end (at most <paramref name="timeoutMs"/>).</summary>
    public static (int ExitCode, string Out, string Error, double Ms) Run(string[] args, int timeoutMs = 120_000)
    {
        using var child = Start(args);
        int code = child.WaitForExit(timeoutMs);
        return (code, child.Out, child.Error, child.ElapsedMs);
    }

    /// <summary>True when the process has exited on its own.</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>Waits for the exit and returns the exit code; kills the process and throws after <paramref name="timeoutMs"/>.</summary>
    public int WaitForExit(int timeoutMs = 120_000)
    {
        if (!_process.WaitForExit(timeoutMs))
        {
            _process.Kill(entireProcessTree: true);
            throw new TimeoutException($"weightport did not exit within {timeoutMs:N0} ms; stderr: {Error}");
        }
        _process.WaitForExit(); // drains the redirected streams
        return _process.ExitCode;
    }

    /// <summary>
    /// SIGKILLs the process (and any children) unless it already exited, then waits for it. Returns true when the
    /// kill hit a running process, false when it had already exited on its own.
    /// </summary>
    public bool Kill()
    {
        if (_process.HasExited) { WaitForExit(); return false; }
        try
        {
            _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException) when (_process.HasExited)
        {
            WaitForExit();
            return false;
        }
        _process.WaitForExit();
        return true;
    }

    /// <summary>
    /// Stops the process (SIGSTOP) until <see cref="Resume"/>: whatever state its files are in when this returns, they
    /// stay in, so a test can look at them and then kill it without racing the process to the end.
    /// </summary>
    public void Suspend() => Signal(SigStop);

    /// <summary>Lets a stopped process run on (SIGCONT).</summary>
    public void Resume() => Signal(SigCont);

    private const int SigCont = 18, SigStop = 19;

    private void Signal(int signal)
    {
        if (Kill(_process.Id, signal) != 0 && !_process.HasExited)
            throw new InvalidOperationException($"kill({_process.Id}, {signal}) failed: errno {System.Runtime.InteropServices.Marshal.GetLastPInvokeError()}");
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

    /// <summary>The exit code (only after the process exited).</summary>
    public int ExitCode => _process.ExitCode;

    /// <summary>Everything the process wrote to stdout (waits for the stream to close).</summary>
    public string Out => _out.Result;

    /// <summary>Everything the process wrote to stderr (waits for the stream to close).</summary>
    public string Error => _err.Result;

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException) { }
        _process.Dispose();
    }
}
