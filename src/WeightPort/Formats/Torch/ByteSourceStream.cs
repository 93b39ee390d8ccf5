using WeightPort.IO;

namespace WeightPort.Formats.Torch;

/// <summary>A read-only stream over a range of a <see cref="ByteSource"/>, for inflating a compressed zip entry.</summary>
internal sealed class ByteSourceStream(ByteSource source, long start, long length) : Stream
{
    private long _position;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => length;
    public override long Position { get => _position; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        int n = (int)Math.Min(buffer.Length, length - _position);
        if (n <= 0) return 0;
        source.GetSpan(start + _position, n).CopyTo(buffer);
        _position += n;
        return n;
    }
}
