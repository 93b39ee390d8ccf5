using System.Buffers;
using System.Diagnostics;
using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Microsoft.Win32.SafeHandles;

namespace WeightPort.IO;

/// <summary>
/// A write-only stream that hashes what goes by and writes it behind the caller, so a manifest can record an output's
/// SHA-256 without reading the file back, and neither the hashing nor the writing holds up the code producing the bytes.
/// </summary>
/// <remarks>
/// <para>
/// Written bytes are staged in a few 4 MiB blocks. One background task hashes the blocks in order while another writes
/// them, so hashing (about 2 GB/s with SHA instructions) and writing overlap each other and the caller. When every
/// block is waiting, <see cref="Write(ReadOnlySpan{byte})"/> waits, which bounds the memory to those blocks. The blocks
/// are native memory: dispose the stream to release them.
/// </para>
/// <para>
/// Over a file handle, full blocks are written with direct I/O where the platform and file system allow it (see
/// <see cref="DirectIo"/>): the blocks are 4 KiB-aligned, so they go to the device without a copy into the page cache.
/// The first block that is not a whole number of 4 KiB units (the file's tail, or anything after <see cref="Flush"/>)
/// turns direct I/O off for the rest, and so does a device slower than the hashing (<see cref="DirectWritePolicy"/>).
/// </para>
/// <para>
/// A failed write or hash ends the stream: the next call on the producing side throws that failure.
/// </para>
/// <para>
/// As an <see cref="IBufferWriter{T}"/> it hands out the staging block itself, so a producer that reads its bytes from
/// a file (a tensor read from its file) reads them straight into the block instead of into a buffer of its own first.
/// </para>
/// </remarks>
internal sealed partial class HashingWriteStream : Stream, IBufferWriter<byte>
{
    internal const int BlockBytes = 4 << 20;
    private const int BlockCount = 4;
    private const int Hasher = 0;
    private const int Storer = 1;

    private readonly Stream? _stream;
    private readonly SafeFileHandle? _file;
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly DirectWritePolicy _policy = new();

    // Block n lives in _ring[n % BlockCount]. The producer fills block _produced; each task works through the
    // produced blocks in order and counts them in _done; a slot is reused once both tasks are past it. One lock and
    // Monitor.Wait/PulseAll coordinate all three (BlockingCollection wakes blocked takers with an exception).
    private readonly object _gate = new();
    private readonly StagingBlock?[] _ring = new StagingBlock?[BlockCount];
    private readonly long[] _done = new long[2];
    private long _produced;
    private bool _completed;
    private bool _abandoned;
    private readonly Task _hasher;
    private readonly Task _writer;
    private ExceptionDispatchInfo? _failure;
    private StagingBlock _block;
    private long _submitted;
    private long _directBytes;
    private bool _direct;
    private string? _sha256;
    private bool _disposed;

    /// <summary>Wraps <paramref name="inner"/>, which receives every byte unchanged and in order, from a background task.</summary>
    public HashingWriteStream(Stream inner)
        : this(inner ?? throw new ArgumentNullException(nameof(inner)), null, directIo: false)
    {
    }

    /// <summary>
    /// Writes to <paramref name="file"/> from offset 0 with positional writes, using direct I/O for whole blocks when
    /// <paramref name="directIo"/> is true and the file allows it. The handle must stay open until
    /// <see cref="FinishSha256"/> returns.
    /// </summary>
    public HashingWriteStream(SafeFileHandle file, bool directIo)
        : this(null, file ?? throw new ArgumentNullException(nameof(file)), directIo)
    {
    }

    private HashingWriteStream(Stream? stream, SafeFileHandle? file, bool directIo)
    {
        _stream = stream;
        _file = file;
        _direct = file is not null && directIo && DirectIo.TrySet(file, true);
        _block = _ring[0] = new StagingBlock(BlockBytes);
        _hasher = Task.Factory.StartNew(() => Drain(Hasher, HashBlock), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        _writer = Task.Factory.StartNew(() => Drain(Storer, StoreBlock), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    /// <summary>Bytes written so far.</summary>
    public long BytesWritten => _submitted + _block.Length;

    /// <summary>How many bytes went to the file with direct I/O (0 for a stream, or where direct I/O was refused). Valid after <see cref="FinishSha256"/>.</summary>
    public long DirectBytes => Volatile.Read(ref _directBytes);

    /// <summary>
    /// Writes out everything, waits for it, and returns the SHA-256 of everything written, lower-case hex. Later writes
    /// are refused.
    /// </summary>
    /// <exception cref="IOException">Writing failed (the original exception is rethrown).</exception>
    public string FinishSha256()
    {
        if (_sha256 is not null) return _sha256;
        Submit();
        lock (_gate)
        {
            _completed = true;
            Monitor.PulseAll(_gate);
        }
        Task.WaitAll(_hasher, _writer);
        EndDirectIo();
        _failure?.Throw();
        _stream?.Flush();
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
    public override long Length => BytesWritten;

    /// <inheritdoc />
    public override long Position { get => BytesWritten; set => throw new NotSupportedException(); }

    /// <summary>
    /// Writes out everything written so far and waits for it. Unless that is a whole number of 4 KiB units, what follows
    /// goes through the page cache.
    /// </summary>
    public override void Flush()
    {
        if (_sha256 is not null) return;
        Submit();
        lock (_gate)
        {
            while (_done[Storer] < _produced && _failure is null) Monitor.Wait(_gate);
        }
        _failure?.Throw();
        _stream?.Flush();
    }

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
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_sha256 is not null) throw new InvalidOperationException("the hash was already finished; nothing more can be written");
        _failure?.Throw();
        while (!buffer.IsEmpty)
        {
            int n = Math.Min(buffer.Length, BlockBytes - _block.Length);
            buffer[..n].CopyTo(_block.Free.Span);
            _block.Length += n;
            buffer = buffer[n..];
            if (_block.Length == BlockBytes) Submit();
        }
    }

    /// <inheritdoc />
    public override void WriteByte(byte value) => Write([value]);

    /// <summary>
    /// The free part of the current staging block, at least one byte and at most one 4 MiB block: a <paramref name="sizeHint"/>
    /// above what is free is not honoured (write in pieces). Valid until the next call on this stream.
    /// </summary>
    public Span<byte> GetSpan(int sizeHint = 0) => GetMemory(sizeHint).Span;

    /// <inheritdoc cref="GetSpan"/>
    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_sha256 is not null) throw new InvalidOperationException("the hash was already finished; nothing more can be written");
        _failure?.Throw();
        if (_block.Length == BlockBytes) Submit();
        return _block.Free;
    }

    /// <inheritdoc />
    public void Advance(int count)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, BlockBytes - _block.Length);
        _block.Length += count;
        if (_block.Length == BlockBytes) Submit();
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            // An abandoned write (an exception mid-way) stops both tasks without waiting for what is still queued.
            lock (_gate)
            {
                if (_sha256 is null) _abandoned = true;
                Monitor.PulseAll(_gate);
            }
            Task.WaitAll(_hasher, _writer);
            EndDirectIo();
            _hash.Dispose();
            _disposed = true;
            foreach (var block in _ring) ((IDisposable?)block)?.Dispose();
        }
        base.Dispose(disposing);
    }

    /// <summary>Hands the current block to both tasks and starts the next one once its slot is free.</summary>
    private void Submit()
    {
        if (_block.Length == 0) return;
        _block.Offset = _submitted;
        _submitted += _block.Length;
        lock (_gate)
        {
            _produced++;
            Monitor.PulseAll(_gate);
            while (_produced - Math.Min(_done[Hasher], _done[Storer]) >= BlockCount && _failure is null) Monitor.Wait(_gate);
        }
        _failure?.Throw();
        // Blocks are allocated on demand: a small file never needs more than one.
        int slot = (int)(_produced % BlockCount);
        _block = _ring[slot] ??= new StagingBlock(BlockBytes);
        _block.Length = 0;
    }

    private void Drain(int task, Action<StagingBlock> process)
    {
        for (long next = 0; ; next++)
        {
            StagingBlock block;
            lock (_gate)
            {
                while (next == _produced && !_completed && !_abandoned && _failure is null) Monitor.Wait(_gate);
                if (next == _produced || _abandoned || _failure is not null) return;
                block = _ring[next % BlockCount]!;
            }
            try
            {
                process(block);
            }
            catch (Exception e)
            {
                lock (_gate)
                {
                    _failure ??= ExceptionDispatchInfo.Capture(e);
                    Monitor.PulseAll(_gate);
                }
                return;
            }
            lock (_gate)
            {
                _done[task] = next + 1;
                Monitor.PulseAll(_gate);
            }
        }
    }

    /// <summary>Leaves the handle buffered for whoever uses it next (the caller may already have closed it).</summary>
    private void EndDirectIo()
    {
        if (!_direct || _file is null || _file.IsClosed) return;
        DirectIo.TrySet(_file, false);
        _direct = false;
    }

    private void HashBlock(StagingBlock block)
    {
        long start = Stopwatch.GetTimestamp();
        _hash.AppendData(block.Data);
        _policy.HashedBlock(Stopwatch.GetTimestamp() - start);
    }

    private void StoreBlock(StagingBlock block)
    {
        if (_stream is not null) _stream.Write(block.Data);
        else WriteToFile(_file!, block);
    }

    private void WriteToFile(SafeFileHandle file, StagingBlock block)
    {
        if (_direct && (block.Offset % DirectIo.Alignment != 0 || block.Length % DirectIo.Alignment != 0))
        {
            // Only the tail (or anything after a Flush) is unaligned; the rest of the file goes through the page cache.
            DirectIo.TrySet(file, false);
            _direct = false;
        }
        if (_direct)
        {
            try
            {
                long start = Stopwatch.GetTimestamp();
                RandomAccess.Write(file, block.Data, block.Offset);
                Interlocked.Add(ref _directBytes, block.Length);
                _policy.WroteBlock(Stopwatch.GetTimestamp() - start);
                if (!_policy.KeepDirect)
                {
                    DirectIo.TrySet(file, false);
                    _direct = false;
                }
                return;
            }
            catch (IOException)
            {
                // A file system that accepted O_DIRECT but refuses the write (or a device with larger blocks): the
                // same bytes again, buffered. A real I/O error fails again below and is reported from there.
                DirectIo.TrySet(file, false);
                _direct = false;
            }
        }
        RandomAccess.Write(file, block.Data, block.Offset);
    }

    /// <summary>
    /// A staging buffer in native memory, aligned to 2 MiB: direct I/O needs 4 KiB alignment, and on Linux the block
    /// asks for transparent huge pages. Fresh 4 KiB pages cost a fault each on first touch (4,096 for 16 MiB, about 5 ms
    /// of CPU on the development VM), and as pinned managed arrays the blocks also counted against the GC's budget and
    /// brought on two full collections per conversion.
    /// </summary>
    private sealed unsafe partial class StagingBlock : MemoryManager<byte>
    {
        private const nuint HugePage = 2 << 20;
        private const int MadvHugePage = 14;
        private byte* _start;

        public StagingBlock(int capacity)
        {
            _start = (byte*)NativeMemory.AlignedAlloc((nuint)capacity, HugePage);
            if (OperatingSystem.IsLinux()) _ = Madvise(_start, (nuint)capacity, MadvHugePage); // a hint; ignored where unsupported
            Capacity = capacity;
        }

        public int Capacity { get; }

        public int Length;

        public long Offset;

        public ReadOnlySpan<byte> Data => new(_start, Length);

        public Memory<byte> Free => Memory.Slice(Length, Capacity - Length);

        public override Span<byte> GetSpan() => new(_start, Capacity);

        public override MemoryHandle Pin(int elementIndex = 0) => new(_start + elementIndex);

        public override void Unpin()
        {
        }

        protected override void Dispose(bool disposing)
        {
            if (_start == null) return;
            NativeMemory.AlignedFree(_start);
            _start = null;
        }

        [LibraryImport("libc", EntryPoint = "madvise")]
        private static partial int Madvise(void* address, nuint length, int advice);
    }
}
