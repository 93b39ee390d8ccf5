namespace WeightPort.IO;

/// <summary>
/// Decides whether <see cref="HashingWriteStream"/> keeps writing with direct I/O: only while the device keeps up with
/// the hashing, which runs beside it and sets the pace.
/// </summary>
/// <remarks>
/// A direct write returns when the device has the data; a buffered one when the page cache has it. On a fast device
/// the direct write costs less CPU and the pipeline waits for the hash either way. On a slow one (a hard disk, a
/// network file system) every direct write would hold up the pipeline, while the page cache would take the bytes at
/// memory speed and write them back after the command ends, so the writer goes back to buffered writes for the rest.
/// The comparison starts once <see cref="SampleBlocks"/> blocks are timed on each side and runs after every direct
/// write; going back to buffered writes is final.
/// </remarks>
internal sealed class DirectWritePolicy
{
    /// <summary>Blocks timed on each side before deciding.</summary>
    public const int SampleBlocks = 8;

    /// <summary>How much slower than hashing a direct write may be before it counts as holding up the pipeline.</summary>
    public const double Slack = 1.25;

    private long _hashTicks;
    private long _hashBlocks;
    private long _writeTicks;
    private long _writeBlocks;

    /// <summary>Whether direct writes should go on. Once false, it stays false.</summary>
    public bool KeepDirect { get; private set; } = true;

    /// <summary>Records the time one block took to hash (called from the hashing thread).</summary>
    public void HashedBlock(long ticks)
    {
        Interlocked.Add(ref _hashTicks, ticks);
        Interlocked.Increment(ref _hashBlocks);
    }

    /// <summary>Records the time one direct write took (called from the writing thread) and compares, once enough is known.</summary>
    public void WroteBlock(long ticks)
    {
        _writeTicks += ticks;
        _writeBlocks++;
        long hashBlocks = Volatile.Read(ref _hashBlocks);
        if (!KeepDirect || _writeBlocks < SampleBlocks || hashBlocks < SampleBlocks) return;
        double perWrite = (double)_writeTicks / _writeBlocks;
        double perHash = (double)Volatile.Read(ref _hashTicks) / hashBlocks;
        if (perWrite > Slack * perHash) KeepDirect = false;
    }
}
