using System.Security.Cryptography;

namespace WeightPort.Fuzz;

/// <summary>
/// The seeds: every file of the conformance corpus and of fixtures/ (not fixtures/large), plus the pickle streams inside
/// them (data.pkl of zips, the five pickles of legacy files, pickles at the start of tar members), in a fixed order so an
/// input index always means the same bytes.
/// </summary>
public sealed class SeedCorpus
{
    private SeedCorpus(List<Seed> seeds)
    {
        All = seeds;
        foreach (SeedKind kind in Enum.GetValues<SeedKind>()) _byKind[kind] = [.. seeds.Where(s => s.Kind == kind)];
    }

    private readonly Dictionary<SeedKind, IReadOnlyList<Seed>> _byKind = [];

    /// <summary>Every seed, files first (sorted by name), then extracted pickles.</summary>
    public IReadOnlyList<Seed> All { get; }

    /// <summary>The seeds of one kind.</summary>
    public IReadOnlyList<Seed> OfKind(SeedKind kind) => _byKind[kind];

    /// <summary>Loads the seeds from <paramref name="corpus"/> and <paramref name="fixtures"/>; a missing corpus is an error.</summary>
    public static SeedCorpus Load(string corpus, string fixtures)
    {
        if (!File.Exists(Path.Combine(corpus, "EXPECTED.json")))
            throw new DirectoryNotFoundException($"the conformance corpus is missing at '{corpus}' (set WEIGHTPORT_CORPUS)");
        if (!Directory.Exists(fixtures)) throw new DirectoryNotFoundException($"fixtures folder '{fixtures}' not found");
        var files = new List<(string Name, string Path)>();
        files.AddRange(Directory.EnumerateFiles(corpus, "*", SearchOption.AllDirectories)
            .Select(f => ("corpus/" + Path.GetRelativePath(corpus, f).Replace('\\', '/'), f)));
        string large = Path.Combine(fixtures, "large") + Path.DirectorySeparatorChar;
        files.AddRange(Directory.EnumerateFiles(fixtures, "*", SearchOption.AllDirectories)
            .Where(f => !f.StartsWith(large, StringComparison.Ordinal))
            .Select(f => ("fixtures/" + Path.GetRelativePath(fixtures, f).Replace('\\', '/'), f)));
        files.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));

        var seeds = new List<Seed>();
        var pickles = new List<Seed>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, path) in files)
        {
            byte[] bytes = File.ReadAllBytes(path);
            var layout = new SeedLayout();
            var kind = Classify(name, bytes);
            List<(string Name, byte[] Bytes)> inner = kind switch
            {
                SeedKind.Zip => ZipScanner.Scan(bytes, layout),
                SeedKind.Legacy => LegacyScanner.Scan(bytes, layout),
                SeedKind.Tar => TarScanner.Scan(bytes, layout),
                SeedKind.Pickle => [],
                _ => [],
            };
            if (kind == SeedKind.Safetensors) SafetensorsScanner.Scan(bytes, layout);
            if (kind == SeedKind.TorchSharp) TorchSharpScanner.Scan(bytes, layout);
            if (kind == SeedKind.Pickle) PickleScanner.Scan(bytes, 0, 0, layout);
            layout.Seal(bytes.Length);
            seeds.Add(new Seed(name, bytes, kind, layout));
            foreach (var (member, pickle) in inner)
            {
                if (!seen.Add(Convert.ToHexString(SHA256.HashData(pickle)))) continue;
                var pl = new SeedLayout();
                PickleScanner.Scan(pickle, 0, 0, pl);
                pl.Seal(pickle.Length);
                pickles.Add(new Seed(name + "!" + member, pickle, SeedKind.Pickle, pl));
            }
        }
        seeds.AddRange(pickles);
        return new SeedCorpus(seeds);
    }

    private static SeedKind Classify(string name, byte[] b)
    {
        if (b.Length >= 4 && b[0] == 'P' && b[1] == 'K' && b[2] == 3 && b[3] == 4) return SeedKind.Zip;
        if (b.Length >= 4 && b[0] == 0x80 && b[1] == 0x02 && b[2] == 0x8a && b[3] == 0x0a) return SeedKind.Legacy;
        if (b.Length >= 262 && b.AsSpan(257, 5).SequenceEqual("ustar"u8)) return SeedKind.Tar;
        if (name.EndsWith(".safetensors", StringComparison.Ordinal)) return SeedKind.Safetensors;
        if (name.StartsWith("corpus/torchsharp/", StringComparison.Ordinal) || name.EndsWith(".dat", StringComparison.Ordinal)) return SeedKind.TorchSharp;
        if (name.EndsWith(".pkl", StringComparison.Ordinal) || (b.Length > 2 && b[0] == 0x80 && PickleScanner.Scan(b, 0, 0, null) == b.Length)) return SeedKind.Pickle;
        return SeedKind.Other;
    }
}
