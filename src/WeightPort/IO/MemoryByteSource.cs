namespace WeightPort.IO;

/// <summary>A <see cref="ByteSource"/> over managed memory.</summary>
internal sealed class MemoryByteSource : ByteSource
{
    private readonly ReadOnlyMemory<byte> _memory;

    /// <summary>Wraps <paramref name="memory"/>; <paramref name="name"/> appears in error messages.</summary>
    public MemoryByteSource(ReadOnlyMemory<byte> memory, string name = "<memory>")
    {
        _memory = memory;
        Name = name;
    }

    /// <inheritdoc />
    public override long Length => _memory.Length;

    /// <inheritdoc />
    public override string Name { get; }

    /// <summary>The whole buffer.</summary>
    public ReadOnlyMemory<byte> Memory => _memory;

    /// <inheritdoc />
    public override ReadOnlySpan<byte> GetSpan(long offset, int length)
    {
        CheckRange(offset, length);
        return _memory.Span.Slice((int)offset, length);
    }
}
