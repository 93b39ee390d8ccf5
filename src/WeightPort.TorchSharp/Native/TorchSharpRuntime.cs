using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;

namespace WeightPort.TorchSharp.Native;

/// <summary>
/// Loads TorchSharp's native library before TorchSharp's own type initializer does, so that a failure can be
/// explained. TorchSharp reports every failure as "doesn't contain a reference to libtorch-cpu-linux-x64", even when
/// the package is referenced and the real cause is a libstdc++ that lacks a symbol version.
/// </summary>
public static partial class TorchSharpRuntime
{
    private const string LibraryName = "libLibTorchSharp.so";
    private static readonly Lock Gate = new();
    private static bool _loaded;

    /// <summary>
    /// Makes sure TorchSharp's native library loads; every WeightPort.TorchSharp entry point calls it first. Cheap after
    /// the first success.
    /// </summary>
    /// <exception cref="TorchSharpUnavailableException">The library is missing or the dynamic loader refuses it; the message names the cause and the fix.</exception>
    public static void EnsureAvailable()
    {
        if (_loaded) return;
        lock (Gate)
        {
            if (_loaded) return;
            if (OperatingSystem.IsLinux()) PreloadLinux();
            _loaded = true;
        }
    }

    /// <summary>The candidate paths of <c>libLibTorchSharp.so</c>, in the order TorchSharp probes them.</summary>
    public static IReadOnlyList<string> Candidates()
    {
        string dir = Path.GetDirectoryName(typeof(global::TorchSharp.torch).Assembly.Location) is { Length: > 0 } d ? d : AppContext.BaseDirectory;
        string rid = RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? "linux-arm64" : "linux-x64";
        return [Path.Combine(dir, "runtimes", rid, "native", LibraryName), Path.Combine(dir, LibraryName), Path.Combine(AppContext.BaseDirectory, LibraryName)];
    }

    /// <summary>Turns a dynamic-loader message into the explanation <see cref="EnsureAvailable"/> throws (public for tests).</summary>
    /// <param name="libraryPath">The library that failed, or null when none was found.</param>
    /// <param name="loaderMessage">What <c>dlopen</c> said.</param>
    /// <param name="systemLibStdCxx">The system's libstdc++.so.6, or null when unknown.</param>
    /// <param name="inner">The loader's exception.</param>
    public static TorchSharpUnavailableException Explain(string? libraryPath, string loaderMessage, string? systemLibStdCxx, Exception? inner)
    {
        var version = MissingVersionPattern().Match(loaderMessage);
        if (version.Success)
        {
            string missing = version.Groups["version"].Value;
            string provided = systemLibStdCxx is not null && File.Exists(systemLibStdCxx) ? HighestVersion(File.ReadAllBytes(systemLibStdCxx), "GLIBCXX_") ?? "no GLIBCXX versions" : "an unknown set of versions";
            var sb = new StringBuilder();
            sb.Append($"TorchSharp's native library '{libraryPath}' cannot load: it needs {missing} from libstdc++.so.6, ");
            sb.Append($"and this system's libstdc++ ('{systemLibStdCxx ?? "not found"}') provides only up to {provided}. ");
            sb.Append("Fix: build or publish the application with the WeightPort.TorchSharp package referenced (its build step marks that ");
            sb.Append("version need weak in the output copy of libLibTorchSharp.so when no relocation uses it; a ProjectReference must import ");
            sb.Append("buildTransitive/WeightPort.TorchSharp.targets itself, and WeightPortPatchLibTorchSharp must not be false), ");
            sb.Append("or run on a system whose libstdc++ has ").Append(missing).Append(" (GCC 13 or later). ");
            sb.Append("TorchSharp's own message, \"doesn't contain a reference to libtorch-cpu-linux-x64\", is misleading here. ");
            sb.Append("Loader: ").Append(loaderMessage);
            return new TorchSharpUnavailableException(sb.ToString(), missing, libraryPath, inner);
        }
        if (libraryPath is null)
            return new TorchSharpUnavailableException(
                $"TorchSharp's native library ({LibraryName}) was not found beside TorchSharp.dll. Reference a libtorch package in the application " +
                $"(TorchSharp-cpu, or libtorch-cpu-linux-x64 with TorchSharp). Loader: {loaderMessage}", null, null, inner);
        return new TorchSharpUnavailableException(
            $"TorchSharp's native library '{libraryPath}' cannot load: {loaderMessage}. Check that the application references one libtorch package " +
            "(TorchSharp-cpu, or libtorch-cpu-linux-x64) of the version TorchSharp 0.107 expects (libtorch 2.10).", null, libraryPath, inner);
    }

    private static void PreloadLinux()
    {
        string? path = Candidates().FirstOrDefault(File.Exists);
        if (path is null)
        {
            // TorchSharp may still find it elsewhere (NATIVE_DLL_SEARCH_DIRECTORIES, its NuGet-cache fallback).
            if (TryTorchSharp(out var e)) return;
            throw Explain(null, e?.InnerException?.Message ?? e?.Message ?? "not found", FindSystemLibStdCxx(), e);
        }
        try
        {
            NativeLibrary.Load(path);
        }
        catch (DllNotFoundException e)
        {
            throw Explain(path, e.Message, FindSystemLibStdCxx(), e);
        }
    }

    private static bool TryTorchSharp(out Exception? error)
    {
        try
        {
            RuntimeHelpers.RunClassConstructor(typeof(global::TorchSharp.torch).TypeHandle);
            error = null;
            return true;
        }
        catch (TypeInitializationException e)
        {
            error = e;
            return false;
        }
    }

    private static string? FindSystemLibStdCxx()
    {
        string[] candidates =
        [
            "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/lib/x86_64-linux-gnu/libstdc++.so.6",
            "/usr/lib/aarch64-linux-gnu/libstdc++.so.6", "/lib/aarch64-linux-gnu/libstdc++.so.6",
            "/usr/lib64/libstdc++.so.6", "/lib64/libstdc++.so.6", "/usr/lib/libstdc++.so.6",
        ];
        return candidates.FirstOrDefault(File.Exists);
    }

    /// <summary>The highest <c>PREFIX</c>x.y.z version string that occurs NUL-terminated in a library (its .dynstr).</summary>
    internal static string? HighestVersion(byte[] library, string prefix)
    {
        Version? best = null;
        string text = Encoding.Latin1.GetString(library);
        foreach (Match m in Regex.Matches(text, "\0" + Regex.Escape(prefix) + @"(?<v>\d+(\.\d+)+)\0"))
        {
            if (Version.TryParse(m.Groups["v"].Value, out var v) && (best is null || v > best)) best = v;
        }
        return best is null ? null : prefix + best;
    }

    [GeneratedRegex(@"version [`'](?<version>[A-Z]+_[0-9.]+)' not found")]
    private static partial Regex MissingVersionPattern();
}
