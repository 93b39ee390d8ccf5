using WeightPort.Formats;
using WeightPort.Formats.Safetensors;
using WeightPort.Formats.Torch;
using WeightPort.Formats.TorchSharp;
using WeightPort.IO;
using WeightPort.Tensors;
using Xunit;
using Xunit.Abstractions;

namespace WeightPort.Tests.IO;

/// <summary>Writers stream from memory-mapped sources: managed allocations stay far below the checkpoint size.</summary>
public sealed class WriterMemoryTests(ITestOutputHelper output) : IDisposable
{
    private const int TensorBytes = 64 << 20;
    private const long AllocationBudget = 8 << 20;
    private readonly string _dir = TestTensors.TempFolder();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    public static TheoryData<string, bool> Cases() => new()
    {
        { "safetensors", false }, { "safetensors", true },
        { "torchsharp", false }, { "torchsharp", true },
        { "pth", false }, { "pth", true },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Write_64MiBMappedTensor_AllocatesUnder8MiB(string format, bool castToBFloat16)
    {
        string raw = Path.Combine(_dir, "raw.bin");
        using (var f = File.Create(raw))
        {
            f.SetLength(TensorBytes);
            f.Write(TestTensors.RandomBytes(new Random(2), DType.Float32, 1024));
        }
        using var source = MappedFileSource.Open(raw);
        var storage = new TensorStorage("0", DType.Float32, TensorBytes / 4, source, 0);
        var tensor = new TensorToWrite("encoder.weight", TensorInfo.Create(storage, 0, [TensorBytes / 4 / 1024, 1024]),
            castToBFloat16 ? DType.BFloat16 : null);
        string target = Path.Combine(_dir, "out." + format);
        Action write = format switch
        {
            "safetensors" => () => SafetensorsWriter.Write(target, [tensor]),
            "torchsharp" => () => TorchSharpWriter.Write(target, [tensor]),
            _ => () => PyTorchZipWriter.Write(target, [tensor]),
        };
        write(); // warm up pools and code paths
        File.Delete(target);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        write();
        clock.Stop();
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        output.WriteLine($"{format} cast={castToBFloat16}: {allocated:N0} bytes allocated, {clock.Elapsed.TotalMilliseconds:F0} ms");
        Assert.True(allocated < AllocationBudget, $"{format} allocated {allocated:N0} bytes for a {TensorBytes:N0}-byte tensor");
        Assert.True(new FileInfo(target).Length >= tensor.ByteCount);
    }
}
