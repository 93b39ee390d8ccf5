using System.Reflection;
using WeightPort.Pickle;
using WeightPort.Safetensors;
using WeightPort.Tensors;
using WeightPort.TorchSharp;

namespace WeightPort.Fuzz;

/// <summary>
/// The readers: the public entry points directly, and the internal zip, legacy and tar readers through delegates bound
/// by reflection (the library grants InternalsVisibleTo to its tests only). A delegate rethrows the reader's own
/// exception unwrapped, so the oracle sees exactly what a caller would.
/// </summary>
public static class FuzzTargets
{
    private delegate Checkpoint InternalRead(ByteSource source, string path, CheckpointReadOptions options, PickleLimits? limits);

    private static readonly CheckpointReadOptions Report = new() { ReportUnsafeGlobals = true };

    /// <summary>All readers, in id order.</summary>
    public static IReadOnlyList<FuzzTarget> All { get; } = Build();

    /// <summary>The reader named <paramref name="name"/>.</summary>
    public static FuzzTarget ByName(string name) =>
        All.FirstOrDefault(t => t.Name == name) ?? throw new ArgumentException($"no reader '{name}' (readers: {string.Join(", ", All.Select(t => t.Name))})");

    private static List<FuzzTarget> Build()
    {
        var zip = Bind("WeightPort.Torch.ZipCheckpointReader");
        var legacy = Bind("WeightPort.Torch.LegacyCheckpointReader");
        var tar = Bind("WeightPort.Torch.TarCheckpointReader");
        return
        [
            new(0, "pickle", [SeedKind.Pickle], (b, _) =>
            {
                PickleReader.Read(b, "fuzz.pkl");
                return null;
            }),
            new(1, "zip", [SeedKind.Zip], (b, r) => zip(Source(b), "fuzz.pt", Options(r), null)),
            new(2, "legacy", [SeedKind.Legacy], (b, r) => legacy(Source(b), "fuzz.pt", Options(r), null)),
            new(3, "tar", [SeedKind.Tar, SeedKind.Legacy], (b, r) => tar(Source(b), "fuzz.pt", Options(r), null)),
            new(4, "safetensors", [SeedKind.Safetensors], (b, _) => SafetensorsReader.Read(Source(b), "fuzz.safetensors")),
            new(5, "torchsharp", [SeedKind.TorchSharp], (b, _) => TorchSharpReader.Read(Source(b), "fuzz.dat")),
            new(6, "sniff", Enum.GetValues<SeedKind>(), (b, r) => CheckpointReader.Read(Source(b), "fuzz.bin", Options(r))),
        ];
    }

    private static MemoryByteSource Source(byte[] bytes) => new(bytes, "fuzz");

    private static CheckpointReadOptions Options(bool report) => report ? Report : CheckpointReadOptions.Default;

    private static InternalRead Bind(string type)
    {
        var t = typeof(CheckpointReader).Assembly.GetType(type, throwOnError: true)!;
        var m = t.GetMethod("Read", BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static,
            [typeof(ByteSource), typeof(string), typeof(CheckpointReadOptions), typeof(PickleLimits)])
            ?? throw new MissingMethodException(type, "Read(ByteSource, string, CheckpointReadOptions, PickleLimits?)");
        return m.CreateDelegate<InternalRead>();
    }
}
