using System.Buffers;

namespace WeightPort.IO;

/// <summary>
/// A staging buffer in native memory, aligned to 2 MiB: direct I/O needs 4 KiB alignment, and on Linux the block asks
/// for transparent huge pages, so filling it costs a few page faults rather than one per 4 KiB page. Native, so the GC
/// neither counts nor moves it; dispose it to free the memory.
/// </summary>
internal sealed unsafe class StagingBlock : MemoryManager<byte>
{
    private byte* _start;

    public StagingBlock(int capacity)
    {
        _start = NativePages.AllocateHuge(capacity);
        Capacity = capacity;
    }

    /// <summary>Bytes the block holds at most.</summary>
    public int Capacity { get; }

    /// <summary>Bytes filled so far.</summary>
    public int Length { get; set; }

    /// <summary>Where the block's bytes go in the output.</summary>
    public long Offset { get; set; }

    /// <summary>The filled part.</summary>
    public ReadOnlySpan<byte> Data => new(_start, Length);

    /// <summary>The part still free.</summary>
    public Memory<byte> Free => Memory.Slice(Length, Capacity - Length);

    public override Span<byte> GetSpan() => new(_start, Capacity);

    public override MemoryHandle Pin(int elementIndex = 0) => new(_start + elementIndex);

    public override void Unpin()
    {
    }

    protected override void Dispose(bool disposing)
    {
        if (_start == null) return;
        NativePages.Free(_start);
        _start = null;
    }
}
