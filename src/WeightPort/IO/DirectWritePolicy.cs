namespace WeightPort.IO;

/// <summary>
/// Decides whether <see cref="HashingWriteStream"/> keeps writing with direct I/O: only while the device keeps up with
/// the hashing, which runs beside it and sets the pace.
/// </summary>
/// <remarks>
/// <para>
/// A direct write returns when the device has the data; a buffered one when the page cache has it. On a fast device
/// the direct write costs less CPU and the pipeline waits for the hash either way. On a slow one (a hard disk, a
/// network file system) every direct write would hold up the pipeline, while the page cache would take the bytes at
/// memory speed and write them back after the command ends, so the writer goes back to buffered writes for the rest.
/// </para>
/// <para>
/// The decision is taken once, when <see cref="SampleBlocks"/> blocks have been timed on each side, from the medians:
/// the first direct writes to a new file are slower (block allocation), and a thread that lost its core for a moment
/// makes single blocks look slow, which a median ignores. A fast SSD writes a block in about the time the hash takes; a
/// hard disk needs an order of magnitude longer (bench/results/2026-12-06-start-up-choices.md has the timings).
/// </para>
/// </remarks>
internal sealed class DirectWritePolicy
{
    /// <summary>Blocks timed on each side before deciding.</summary>
    public const int SampleBlocks = 16;

    /// <summary>How many times slower than hashing a direct write may be before it counts as holding up the pipeline.</summary>
    public const double Slack = 2.0;

    private readonly object _gate = new();
    private readonly long[] _hash = new long[SampleBlocks];
    private readonly long[] _write = new long[SampleBlocks];
    private int _hashed;
    private int _written;
    private bool _decided;

    /// <summary>Whether direct writes should go on. Once false, it stays false.</summary>
    public bool KeepDirect { get; private set; } = true;

    /// <summary>Records the time one block took to hash (called from the hashing thread).</summary>
    public void HashedBlock(long ticks)
    {
        lock (_gate)
        {
            if (_hashed < SampleBlocks) _hash[_hashed++] = ticks;
        }
    }

    /// <summary>Records the time one direct write took (called from the writing thread); decides once both samples are complete.</summary>
    public void WroteBlock(long ticks)
    {
        lock (_gate)
        {
            if (_decided) return;
            if (_written < SampleBlocks) _write[_written++] = ticks;
            if (_written < SampleBlocks || _hashed < SampleBlocks) return;
            _decided = true;
            KeepDirect = Median(_write) <= Slack * Median(_hash);
        }
    }

    private static double Median(long[] samples)
    {
        var sorted = (long[])samples.Clone();
        Array.Sort(sorted);
        int mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2.0;
    }
}
