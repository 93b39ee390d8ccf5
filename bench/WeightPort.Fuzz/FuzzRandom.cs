namespace WeightPort.Fuzz;

/// <summary>
/// SplitMix64: tiny, fast and fully determined by its seed on every runtime, so an input is a pure function of
/// (run seed, reader, index) and any failure replays bit for bit (System.Random's algorithm may change between runtimes).
/// </summary>
public sealed class FuzzRandom
{
    private ulong _state;

    /// <summary>Creates a generator for one input.</summary>
    public FuzzRandom(ulong seed, int target, long index)
    {
        _state = seed;
        _state = Mix(NextRaw() ^ (ulong)(uint)target * 0x9E3779B97F4A7C15UL);
        _state = Mix(NextRaw() ^ (ulong)index);
    }

    /// <summary>The next 64 random bits.</summary>
    public ulong NextRaw()
    {
        ulong z = _state += 0x9E3779B97F4A7C15UL;
        return Mix(z);
    }

    /// <summary>A value in [0, max); 0 when max ≤ 0.</summary>
    public int Next(int max) => max <= 0 ? 0 : (int)(NextRaw() % (ulong)max);

    /// <summary>A value in [0, max); 0 when max ≤ 0.</summary>
    public long NextLong(long max) => max <= 0 ? 0 : (long)(NextRaw() % (ulong)max);

    /// <summary>True with probability <paramref name="percent"/>/100.</summary>
    public bool Chance(int percent) => Next(100) < percent;

    /// <summary>One element of <paramref name="items"/>.</summary>
    public T Pick<T>(IReadOnlyList<T> items) => items[Next(items.Count)];

    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
