using System.Globalization;
using System.Text;

namespace WeightPort.Fuzz;

/// <summary>
/// Turns (run seed, reader, index) into an input, deterministically. Every fourth index, until they are used up, is a
/// systematic truncation at the next record boundary of the reader's own seeds (so every boundary is tried, even in
/// the quick mode); the rest pick a seed and a weighted mutation, sometimes with structure-blind havoc on top.
/// </summary>
public sealed class InputGenerator
{
    private const int MaxBoundariesPerSeed = 4096;

    private static readonly (MutationKind Kind, int Weight)[] Weights =
    [
        (MutationKind.None, 1),
        (MutationKind.BitFlip, 15),
        (MutationKind.InterestingBytes, 10),
        (MutationKind.TruncateAtBoundary, 10),
        (MutationKind.TruncateRandom, 6),
        (MutationKind.Splice, 10),
        (MutationKind.InflateField, 24),
        (MutationKind.ReorderZip, 8),
        (MutationKind.Chunk, 8),
        (MutationKind.RemoveRecord, 8),
        (MutationKind.PickleFragment, 6),
    ];

    private static readonly int TotalWeight = Weights.Sum(w => w.Weight);

    private readonly SeedCorpus _corpus;
    private readonly ulong _runSeed;
    private readonly Dictionary<int, IReadOnlyList<Seed>> _pools = [];
    private readonly Dictionary<int, List<(Seed Seed, int Cut)>> _systematic = [];

    /// <summary>Creates the generator for a run.</summary>
    public InputGenerator(SeedCorpus corpus, ulong runSeed)
    {
        _corpus = corpus;
        _runSeed = runSeed;
    }

    /// <summary>The seeds used for the reader.</summary>
    public SeedCorpus Corpus => _corpus;

    /// <summary>How many systematic boundary truncations the reader gets.</summary>
    public int SystematicCount(FuzzTarget target) => Systematic(target).Count;

    /// <summary>The input number <paramref name="index"/> for <paramref name="target"/>.</summary>
    public FuzzInput Generate(FuzzTarget target, long index)
    {
        var rng = new FuzzRandom(_runSeed, target.Id, index);
        bool report = rng.Chance(75);
        var systematic = Systematic(target);
        if (index % 4 == 0 && index / 4 < systematic.Count)
        {
            var (s, cut) = systematic[(int)(index / 4)];
            return new FuzzInput(s.Bytes[..cut], report, string.Create(CultureInfo.InvariantCulture, $"'{s.Name}' truncated at boundary {cut}"));
        }
        var pool = Pool(target);
        var seed = rng.Chance(85) ? rng.Pick(pool) : rng.Pick(_corpus.All);
        var other = rng.Chance(50) ? rng.Pick(pool) : rng.Pick(_corpus.All);
        // Pickle-bearing seeds get the fragments more often: they are the only way to reach the flattener's limits.
        var kind = seed.Kind is SeedKind.Pickle or SeedKind.Legacy && rng.Chance(8) ? MutationKind.PickleFragment : PickKind(rng);
        var log = new StringBuilder().Append('\'').Append(seed.Name).Append("' ").Append(kind);
        byte[] bytes = Mutator.Apply(kind, seed, other, rng, log);
        if (kind != MutationKind.None && rng.Chance(25))
        {
            int extra = 1 + rng.Next(2);
            log.Append(" + havoc:");
            for (int i = 0; i < extra; i++) bytes = Mutator.Havoc(bytes, rng, log);
        }
        return new FuzzInput(bytes, report, log.ToString());
    }

    private static MutationKind PickKind(FuzzRandom rng)
    {
        int r = rng.Next(TotalWeight);
        foreach (var (kind, weight) in Weights)
        {
            if (r < weight) return kind;
            r -= weight;
        }
        return MutationKind.BitFlip;
    }

    private IReadOnlyList<Seed> Pool(FuzzTarget target)
    {
        lock (_pools)
        {
            if (!_pools.TryGetValue(target.Id, out var pool))
            {
                pool = [.. target.Preferred.SelectMany(_corpus.OfKind)];
                if (pool.Count == 0) pool = _corpus.All;
                _pools[target.Id] = pool;
            }
            return pool;
        }
    }

    private List<(Seed, int)> Systematic(FuzzTarget target)
    {
        lock (_systematic)
        {
            if (!_systematic.TryGetValue(target.Id, out var list))
            {
                list = [];
                foreach (var seed in Pool(target))
                {
                    var b = seed.Layout.Boundaries;
                    int step = Math.Max(1, (b.Count + MaxBoundariesPerSeed - 1) / MaxBoundariesPerSeed);
                    for (int i = 0; i < b.Count; i += step)
                    {
                        if (b[i] < seed.Bytes.Length) list.Add((seed, b[i]));
                    }
                }
                _systematic[target.Id] = list;
            }
            return list;
        }
    }
}
