using System.Runtime.InteropServices;
using System.Text;
using WeightPort.TorchSharp.Native;
using WeightPort.TorchSharp.Tests.Support;

namespace WeightPort.TorchSharp.Tests.Native;

/// <summary>
/// The build step that marks TorchSharp 0.107's GLIBCXX_3.4.32 need weak, run on copies of the real
/// libLibTorchSharp.so from the NuGet cache (which is only read).
/// </summary>
public sealed class LibTorchSharpPatchTests
{
    private const string Needed = "GLIBCXX_3.4.32";

    private static string PackagedLibrary
    {
        get
        {
            string root = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } p ? p
                : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
            string path = Path.Combine(root, "torchsharp", "0.107.0", "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
            Assert.True(File.Exists(path), $"TorchSharp 0.107.0's native library is not at '{path}'");
            return path;
        }
    }

    /// <summary>A stand-in libstdc++ that defines every GLIBCXX version the library needs except <paramref name="except"/>.</summary>
    private static byte[] LibStdCxxWithout(byte[] library, params string[] except)
    {
        var names = PatchGlibcxxVersionNeed.ReadNeeds(library).Select(n => n.Name).Where(n => n.StartsWith("GLIBCXX_", StringComparison.Ordinal) && !except.Contains(n));
        return Encoding.ASCII.GetBytes("\0" + string.Join("\0", names) + "\0");
    }

    [Fact]
    public void PackagedLibrary_NeedsGlibcxx3432_ForNoRelocation()
    {
        byte[] lib = File.ReadAllBytes(PackagedLibrary);
        var need = Assert.Single(PatchGlibcxxVersionNeed.ReadNeeds(lib), n => n.Name == Needed);
        Assert.Equal(0, need.Flags & 2);
        Assert.DoesNotContain(need.Index, PatchGlibcxxVersionNeed.RelocatedVersionIndices(lib));
        Assert.Equal([Needed], PatchGlibcxxVersionNeed.MissingGlibcxxVersions(lib, LibStdCxxWithout(lib, Needed)));
        Assert.Empty(PatchGlibcxxVersionNeed.MissingGlibcxxVersions(lib, LibStdCxxWithout(lib)));
    }

    [Fact]
    public void Patch_SetsOnlyTheWeakFlag_AndIsIdempotent()
    {
        using var temp = Repo.Temp();
        string copy = temp.File("libLibTorchSharp.so");
        File.Copy(PackagedLibrary, copy);
        byte[] before = File.ReadAllBytes(copy);
        Assert.True(PatchGlibcxxVersionNeed.PatchFile(copy, [Needed], out var message), message);
        byte[] after = File.ReadAllBytes(copy);
        var changed = Enumerable.Range(0, before.Length).Where(i => before[i] != after[i]).ToList();
        var need = PatchGlibcxxVersionNeed.ReadNeeds(after).Single(n => n.Name == Needed);
        Assert.Equal([need.FlagsOffset], changed);
        Assert.Equal(2, need.Flags & 2);
        Assert.All(PatchGlibcxxVersionNeed.ReadNeeds(after).Where(n => n.Name != Needed), n => Assert.Equal(0, n.Flags & 2));

        Assert.True(PatchGlibcxxVersionNeed.PatchFile(copy, [Needed], out message), message);
        Assert.Contains("already weak", message, StringComparison.Ordinal);
        Assert.Equal(after, File.ReadAllBytes(copy));
    }

    [Fact]
    public void Patch_RefusesAVersionThatARelocationBinds()
    {
        using var temp = Repo.Temp();
        string copy = temp.File("libLibTorchSharp.so");
        File.Copy(PackagedLibrary, copy);
        byte[] lib = File.ReadAllBytes(copy);
        var used = PatchGlibcxxVersionNeed.RelocatedVersionIndices(lib);
        var bound = PatchGlibcxxVersionNeed.ReadNeeds(lib).First(n => n.Name.StartsWith("GLIBCXX_", StringComparison.Ordinal) && used.Contains(n.Index));
        Assert.False(PatchGlibcxxVersionNeed.PatchFile(copy, [bound.Name], out var message));
        Assert.Contains("binds symbols of " + bound.Name, message, StringComparison.Ordinal);
        Assert.Equal(lib, File.ReadAllBytes(copy));
    }

    [Fact]
    public void Patch_ReplacesTheFile_SoAHardLinkedOriginalStaysUntouched()
    {
        using var temp = Repo.Temp();
        string original = temp.File("cache.so");
        File.Copy(PackagedLibrary, original);
        string output = temp.File("libLibTorchSharp.so");
        Assert.Equal(0, Processes.Run("ln", [original, output]).Code);
        byte[] before = File.ReadAllBytes(original);
        Assert.True(PatchGlibcxxVersionNeed.PatchFile(output, [Needed], out var message), message);
        Assert.Equal(before, File.ReadAllBytes(original));
        Assert.NotEqual(before, File.ReadAllBytes(output));
    }

    [Fact]
    public void BuildOutputCopy_IsPatchedExactlyWhenThisSystemLacksTheVersion()
    {
        string output = Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        byte[] lib = File.ReadAllBytes(output);
        string system = PatchGlibcxxVersionNeed.FindSystemLibStdCxx() ?? throw new InvalidOperationException("no system libstdc++.so.6");
        bool lacks = PatchGlibcxxVersionNeed.MissingGlibcxxVersions(File.ReadAllBytes(PackagedLibrary), File.ReadAllBytes(system)).Contains(Needed);
        var need = PatchGlibcxxVersionNeed.ReadNeeds(lib).Single(n => n.Name == Needed);
        Assert.Equal(lacks ? 2 : 0, need.Flags & 2);
        Assert.Equal(0, PatchGlibcxxVersionNeed.ReadNeeds(File.ReadAllBytes(PackagedLibrary)).Single(n => n.Name == Needed).Flags & 2);
    }

    [Fact]
    public void UnpatchedLibrary_FailsToLoad_AndTheExplanationNamesVersionAndFix()
    {
        string system = PatchGlibcxxVersionNeed.FindSystemLibStdCxx() ?? throw new InvalidOperationException("no system libstdc++.so.6");
        bool lacks = PatchGlibcxxVersionNeed.MissingGlibcxxVersions(File.ReadAllBytes(PackagedLibrary), File.ReadAllBytes(system)).Contains(Needed);
        TorchSharpRuntime.EnsureAvailable();
        using var temp = Repo.Temp();
        string copy = temp.File("libLibTorchSharp.so");
        File.Copy(PackagedLibrary, copy);
        // libtorch is already loaded by this process, so the only thing that can fail is the version check.
        if (!lacks)
        {
            Assert.True(NativeLibrary.TryLoad(copy, out _), "a libstdc++ with GLIBCXX_3.4.32 loads the unpatched library");
            return;
        }
        var e = Assert.Throws<DllNotFoundException>(() => NativeLibrary.Load(copy));
        var explained = TorchSharpRuntime.Explain(copy, e.Message, system, e);
        Assert.Equal(Needed, explained.MissingVersion);
        Assert.Contains(Needed, explained.Message, StringComparison.Ordinal);
        Assert.Contains(system, explained.Message, StringComparison.Ordinal);
        Assert.Contains("GLIBCXX_3.4.30", explained.Message, StringComparison.Ordinal);
        Assert.Contains("WeightPort.TorchSharp package", explained.Message, StringComparison.Ordinal);
        Assert.Contains("misleading", explained.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Explain_WithoutAVersionProblem_SaysWhichPackageIsMissing()
    {
        var e = TorchSharpRuntime.Explain(null, "cannot open shared object file", null, null);
        Assert.Null(e.MissingVersion);
        Assert.Contains("TorchSharp-cpu", e.Message, StringComparison.Ordinal);
    }
}
