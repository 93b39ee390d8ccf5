using WeightPort.Formats;
using WeightPort.Formats.Pickle;
using WeightPort.Formats.Safetensors;
using WeightPort.Formats.Torch;
using WeightPort.Formats.TorchSharp;
using WeightPort.IO;
using WeightPort.Tests.Infrastructure;
using Xunit;

namespace WeightPort.Tests.Fuzz;

/// <summary>
/// Every input the fuzz harness (bench/WeightPort.Fuzz) ever failed on, fed to every reader: each must end in a result
/// or a <see cref="CheckpointFormatException"/>, within an allocation ceiling, on a thread with .NET's default
/// secondary-thread stack (as the harness runs them). The inputs live in Fuzz/Regressions, named after the bug.
/// </summary>
public sealed class FuzzRegressionTests
{
    // The harness's per-input ceiling: a 50 KB input that allocates more than this is a blow-up, not a read.
    private const long AllocationCeiling = 512L << 20;
    private const int ReaderStackBytes = 1536 * 1024;

    private static string Folder => Path.Combine(TestPaths.RepoRoot, "tests", "WeightPort.Tests", "Fuzz", "Regressions");

    private static readonly Dictionary<string, Func<byte[], CheckpointReadOptions, Checkpoint?>> Readers = new()
    {
        ["pickle"] = (b, _) => { PickleReader.Read(b); return null; },
        ["zip"] = (b, o) => ZipCheckpointReader.Read(new MemoryByteSource(b), "regression", o),
        ["legacy"] = (b, o) => LegacyCheckpointReader.Read(new MemoryByteSource(b), "regression", o),
        ["tar"] = (b, o) => TarCheckpointReader.Read(new MemoryByteSource(b), "regression", o),
        ["safetensors"] = (b, _) => SafetensorsReader.Read(new MemoryByteSource(b), "regression"),
        ["torchsharp"] = (b, _) => TorchSharpReader.Read(new MemoryByteSource(b), "regression"),
        ["sniff"] = (b, o) => CheckpointReader.Read(new MemoryByteSource(b), "regression", o),
        ["scan"] = (b, _) => { CheckpointScanner.Scan(new MemoryByteSource(b), "regression"); return null; },
    };

    public static TheoryData<string, string, bool> Cases()
    {
        var data = new TheoryData<string, string, bool>();
        foreach (string file in Directory.EnumerateFiles(Folder).Select(f => Path.GetFileName(f)).Order(StringComparer.Ordinal))
            foreach (string reader in Readers.Keys)
                foreach (bool report in new[] { false, true })
                    data.Add(file, reader, report);
        return data;
    }

    [Fact]
    public void RegressionFolder_Always_HoldsTheFoundInputs()
    {
        Assert.True(Directory.EnumerateFiles(Folder).Count() >= 5, $"the fuzz regression inputs are missing from '{Folder}'");
    }

    /// <summary>
    /// The flattener inputs are minimized (tools/make_fuzz_regressions.py): each must still reach the guard it was added
    /// for, not stop earlier on something else.
    /// </summary>
    [Theory]
    [InlineData("flattener-nested-dicts-long-key.pt", "an object path is longer than 4,096 characters")]
    [InlineData("flattener-nested-dicts-long-key-2.pt", "an object path is longer than 4,096 characters")]
    [InlineData("flattener-nested-marks.pt", "an object path is longer than 4,096 characters")]
    [InlineData("flattener-deep-tuple-key.pkl", "a dict key is longer than 4,096 characters or nests tuples deeper than 64 levels")]
    [InlineData("flattener-exponential-sharing.pkl", "the object tree has more than 1,000,000 reachable paths")]
    public void FlattenerRegressionInput_EndsInTheGuardItWasAddedFor(string file, string reason)
    {
        byte[] bytes = File.ReadAllBytes(Path.Combine(Folder, file));
        var e = Assert.Throws<CheckpointFormatException>(() => CheckpointReader.Read(new MemoryByteSource(bytes), file).Dispose());
        Assert.Equal(CheckpointError.LimitExceeded, e.Error);
        Assert.StartsWith(reason, e.Reason, StringComparison.Ordinal);
    }

    /// <summary>What the scanner inputs were added for: it reads what readers refuse, and must not step outside the file doing so.</summary>
    [Theory]
    [InlineData("scanner-local-record-past-end.pt")]
    [InlineData("scanner-stored-size-mismatch.pt")]
    public void ScannerRegressionInput_ScansToTheEnd(string file)
    {
        byte[] bytes = File.ReadAllBytes(Path.Combine(Folder, file));
        var scan = CheckpointScanner.Scan(new MemoryByteSource(bytes), file);
        Assert.Equal("PyTorch zip", scan.Container);
        Assert.NotEmpty(scan.Problems);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Reader_FuzzRegressionInput_EndsInResultOrFormatException(string file, string reader, bool reportUnsafeGlobals)
    {
        byte[] bytes = File.ReadAllBytes(Path.Combine(Folder, file));
        var options = new CheckpointReadOptions { ReportUnsafeGlobals = reportUnsafeGlobals };
        Exception? unexpected = null;
        long allocated = 0;
        var thread = new Thread(() =>
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            try
            {
                using var checkpoint = Readers[reader](bytes, options);
                foreach (var t in checkpoint?.Tensors ?? [])
                {
                    if (t.Tensor.ByteCount <= 64L << 20) _ = t.Tensor.Sha256Hex();
                }
            }
            catch (CheckpointFormatException)
            {
                // The one allowed failure.
            }
            catch (Exception e)
            {
                unexpected = e;
            }
            allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        }, ReaderStackBytes);
        thread.Start();
        Assert.True(thread.Join(TimeSpan.FromSeconds(30)), $"{reader} still reading '{file}' after 30 s");
        Assert.Null(unexpected);
        Assert.True(allocated <= AllocationCeiling, $"{reader} allocated {allocated:N0} bytes for the {bytes.Length:N0}-byte '{file}'");
    }
}
