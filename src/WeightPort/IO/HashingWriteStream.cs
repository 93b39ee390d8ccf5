using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace WeightPort.IO;

/// <summary>
/// A write-only pass-through that hashes what goes by, so a manifest can record an output's SHA-256 without reading
/// the file back.
/// </summary>
/// <remarks>
/// Hashing costs about as much as writing, so it runs on another thread: written bytes are staged in a few 1 MiB blocks
/// that a background task hashes in order while the caller goes on writing. When every block is waiting to be hashed,
/// <see cref="Write(ReadOnlySpan{byte})"/> waits, which bounds the memory to those blocks.
/// </remarks>
public sealed class HashingWriteStream : Stream
{
    private const int BlockBytes = 1 << 20;
    private const int BlockCount = 4;

    private readonly Stream _inner;
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly BlockingCollection<(byte[] Block, int Length)> _pending = new(BlockCount);
    private readonly BlockingCollection<byte[]> _free = new(BlockCount);
    private readonly Task _hasher;
    private byte[] _block;
    private int _used;
    private int _allocated;
    private long _written;
    private string? _sha256;

    /// <summary>Wraps <paramref name="inner"/>, which receives every byte unchanged.</summary>
    public HashingWriteStream(Stream inner)
    {
        ArgumentNullException.ThrowIfNull(inner);
        _inner = inner;
        _block = new byte[BlockBytes];
        _allocated = 1;
        _hasher = Task.Factory.StartNew(HashPending, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    /// <summary>Bytes written so far.</summary>
    public long BytesWritten => _written;

    /// <summary>The SHA-256 of everything written, lower-case hex. Call after the last write; later writes are refused.</summary>
    public string FinishSha256()
    {
        if (_sha256 is not null) return _sha256;
        Submit();
        _pending.CompleteAdding();
        _hasher.GetAwaiter().GetResult();
        _sha256 = Convert.ToHexStringLower(_hash.GetHashAndReset());
        return _sha256;
    }

    /// <inheritdoc />
    public override bool CanRead => false;

    /// <inheritdoc />
    public override bool CanSeek => false;

    /// <inheritdoc />
    public override bool CanWrite => _sha256 is null;

    /// <inheritdoc />
    public override long Length => _written;

    /// <inheritdoc />
    public override long Position { get => _written; set => throw new NotSupportedException(); }

    /// <inheritdoc />
    public override void Flush() => _inner.Flush();

    /// <inheritdoc />
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    /// <inheritdoc />
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    /// <inheritdoc />
    public override void SetLength(long value) => throw new NotSupportedException();

    /// <inheritdoc />
    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    /// <inheritdoc />
    public override void Write(ReadOnlySpan<byte> buffer)
    {
        if (_sha256 is not null) throw new InvalidOperationException("the hash was already finished; nothing more can be written");
        _inner.Write(buffer);
        _written += buffer.Length;
        while (!buffer.IsEmpty)
        {
            int n = Math.Min(buffer.Length, BlockBytes - _used);
            buffer[..n].CopyTo(_block.AsSpan(_used));
            _used += n;
            buffer = buffer[n..];
            if (_used == BlockBytes) Submit();
        }
    }

    /// <inheritdoc />
    public override void WriteByte(byte value) => Write([value]);

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            // An abandoned write (an exception mid-way) still has to stop the hasher before the hash goes away.
            if (!_pending.IsAddingCompleted) _pending.CompleteAdding();
            try { _hasher.Wait(); } catch (AggregateException) { }
            _hash.Dispose();
            _pending.Dispose();
            _free.Dispose();
        }
        base.Dispose(disposing);
    }

    private void Submit()
    {
        if (_used == 0) return;
        if (_hasher.IsFaulted) _hasher.GetAwaiter().GetResult();
        _pending.Add((_block, _used));
        // Blocks are allocated on demand: a small file never needs more than one.
        if (_free.TryTake(out var free)) _block = free;
        else if (_allocated < BlockCount)
        {
            _block = new byte[BlockBytes];
            _allocated++;
        }
        else _block = _free.Take();
        _used = 0;
    }

    private void HashPending()
    {
        foreach (var (block, length) in _pending.GetConsumingEnumerable())
        {
            _hash.AppendData(block, 0, length);
            _free.Add(block);
        }
    }
}
