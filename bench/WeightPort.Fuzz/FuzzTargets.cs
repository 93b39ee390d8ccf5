using WeightPort.Formats;
using WeightPort.Formats.Pickle;
using WeightPort.Formats.Safetensors;
using WeightPort.Formats.Torch;
using WeightPort.Formats.TorchSharp;
using WeightPort.IO;

namespace WeightPort.Fuzz;

/// <summary>
/// The readers: the public entry points, the internal zip, legacy and tar readers and the scanner (the library grants
/// this project InternalsVisibleTo), each called directly so the oracle sees exactly the exception a caller would.
/// </summary>
public static class FuzzTargets
{
    private static readonly CheckpointReadOptions Report = new() { ReportUnsafeGlobals = true };

    /// <summary>All readers, in id order.</summary>
    public static IReadOnlyList<FuzzTarget> All { get; } = Build();

    /// <summary>The reader named <paramref name="name"/>.</summary>
    public static FuzzTarget ByName(string name) =>
        All.FirstOrDefault(t => t.Name == name) ?? throw new ArgumentException($"no reader '{name}' (readers: {string.Join(", ", All.Select(t => t.Name))})");

    private static List<FuzzTarget> Build()
    {
        return
        [
            new(0, "pickle", [SeedKind.Pickle], (b, _) =>
            {
                PickleReader.Read(b, "fuzz.pkl");
                return null;
            }),
            new(1, "zip", [SeedKind.Zip], (b, r) => ZipCheckpointReader.Read(Source(b), "fuzz.pt", Options(r))),
            new(2, "legacy", [SeedKind.Legacy], (b, r) => LegacyCheckpointReader.Read(Source(b), "fuzz.pt", Options(r))),
            new(3, "tar", [SeedKind.Tar, SeedKind.Legacy], (b, r) => TarCheckpointReader.Read(Source(b), "fuzz.pt", Options(r))),
            new(4, "safetensors", [SeedKind.Safetensors], (b, _) => SafetensorsReader.Read(Source(b), "fuzz.safetensors")),
            new(5, "torchsharp", [SeedKind.TorchSharp], (b, _) => TorchSharpReader.Read(Source(b), "fuzz.dat")),
            new(6, "sniff", Enum.GetValues<SeedKind>(), (b, r) => CheckpointReader.Read(Source(b), "fuzz.bin", Options(r))),
            // The scanner reads what the readers refuse (duplicate records, broken stacks), so it gets inputs of its own.
            new(7, "scan", Enum.GetValues<SeedKind>(), (b, _) =>
            {
                CheckpointScanner.Scan(Source(b), "fuzz.bin");
                return null;
            }),
        ];
    }

    private static MemoryByteSource Source(byte[] bytes) => new(bytes, "fuzz");

    private static CheckpointReadOptions Options(bool report) => report ? Report : CheckpointReadOptions.Default;
}
