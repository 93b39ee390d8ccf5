using System.Security.Cryptography;
using Microsoft.Win32.SafeHandles;
using WeightPort.IO;
using Xunit;

namespace WeightPort.Tests.IO;

/// <summary>The write-behind hashing stream: same bytes out, same digest as hashing them at once, failures surface.</summary>
public sealed class HashingWriteStreamTests : IDisposable
{
    private const int Block = HashingWriteStream.BlockBytes;
    private readonly string _dir = Directory.CreateTempSubdirectory("wp-hashing").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData(0, 1)]
    [InlineData(1, 1)]
    [InlineData(Block, Block)]                // exactly one staging block
    [InlineData(5 * Block + 12_345, 65_537)]  // more blocks than the ring holds, writes straddling block edges
    [InlineData(2 * Block + 3, Block + 4_099)] // single writes larger than a block
    public void Write_AnySizesAndChunking_PassesBytesThroughAndHashesThemInOrder(int total, int chunk)
    {
        var data = new byte[total];
        new Random(total ^ chunk).NextBytes(data);
        using var sink = new MemoryStream();
        using var hashing = new HashingWriteStream(sink);
        for (int at = 0; at < total; at += chunk) hashing.Write(data.AsSpan(at, Math.Min(chunk, total - at)));
        string sha = hashing.FinishSha256();
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(data)), sha);
        Assert.Equal(data, sink.ToArray());
        Assert.Equal(total, hashing.BytesWritten);
        Assert.Equal(sha, hashing.FinishSha256());
    }

    [Fact]
    public void Write_AfterFinish_IsRefused()
    {
        using var hashing = new HashingWriteStream(Stream.Null);
        hashing.Write([1, 2, 3]);
        hashing.FinishSha256();
        Assert.Throws<InvalidOperationException>(() => hashing.Write([4]));
    }

    [Fact]
    public async Task Dispose_WithoutFinishing_StopsTheHasher()
    {
        var hashing = new HashingWriteStream(Stream.Null);
        hashing.Write(new byte[(3 << 20) + 1]);
        // A hasher left waiting for blocks would make Dispose hang; bound it so that shows up as a failure.
        var disposing = Task.Run(hashing.Dispose);
        Assert.Same(disposing, await Task.WhenAny(disposing, Task.Delay(TimeSpan.FromSeconds(30))));
    }

    [Theory]
    [InlineData(0, true)]
    [InlineData(1, true)]
    [InlineData(Block, true)]
    [InlineData(2 * Block, true)]             // whole blocks only: the file ends aligned
    [InlineData(3 * Block + 12_345, true)]    // three direct blocks and a buffered tail
    [InlineData(3 * Block + 12_345, false)]
    public void File_WritesEveryByteAtItsOffset_WholeBlocksDirectWhereTheFileSystemAllowsIt(int total, bool directIo)
    {
        var data = RandomBytes(total, seed: total);
        string path = Path.Combine(_dir, "out.bin");
        using (var handle = File.OpenHandle(path, FileMode.CreateNew, FileAccess.Write))
        {
            using var hashing = new HashingWriteStream(handle, directIo);
            for (int at = 0; at < total; at += 65_537) hashing.Write(data.AsSpan(at, Math.Min(65_537, total - at)));
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(data)), hashing.FinishSha256());
            long wholeBlocks = total / Block * (long)Block;
            if (directIo && DirectIoWorksIn(_dir))
            {
                // The sampled blocks always go direct; later ones too unless the disk proved slower than the hash.
                Assert.InRange(hashing.DirectBytes, Math.Min(wholeBlocks, DirectWritePolicy.SampleBlocks * (long)Block), wholeBlocks);
                Assert.Equal(0, hashing.DirectBytes % Block);
            }
            else Assert.Equal(0, hashing.DirectBytes);
            hashing.Dispose();
            // Direct I/O is switched off again, so whatever else uses the handle is not held to its alignment.
            Assert.False(DirectIo.IsSet(handle));
        }
        Assert.Equal(data, File.ReadAllBytes(path));
    }

    [Fact]
    public void Dispose_AfterTheCallerClosedTheHandle_DoesNotTouchIt()
    {
        // The converter commits (and so closes) the file before the stream's using block ends.
        var handle = File.OpenHandle(Path.Combine(_dir, "closed.bin"), FileMode.CreateNew, FileAccess.Write);
        var hashing = new HashingWriteStream(handle, directIo: true);
        hashing.Write(new byte[2 * Block]);
        handle.Dispose();
        hashing.Dispose();
    }

    [Fact]
    public void Flush_MidWay_WritesWhatCameBefore_AndTheRestStillArrivesInOrder()
    {
        var data = RandomBytes(3 * Block + 777, seed: 5);
        string path = Path.Combine(_dir, "flushed.bin");
        using (var handle = File.OpenHandle(path, FileMode.CreateNew, FileAccess.ReadWrite))
        {
            using var hashing = new HashingWriteStream(handle, directIo: true);
            hashing.Write(data.AsSpan(0, Block + 100));
            hashing.Flush();
            // Everything before the flush is on the file now, although the block was not full.
            var head = new byte[Block + 100];
            Assert.Equal(head.Length, RandomAccess.Read(handle, head, 0));
            Assert.Equal(data.AsSpan(0, Block + 100).ToArray(), head);
            hashing.Write(data.AsSpan(Block + 100));
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(data)), hashing.FinishSha256());
        }
        Assert.Equal(data, File.ReadAllBytes(path));
    }

    [Fact]
    public void BufferWriter_GetSpanAndAdvance_MixWithWrite()
    {
        var data = RandomBytes(5 * Block + 3, seed: 9);
        using var sink = new MemoryStream();
        using var hashing = new HashingWriteStream(sink);
        int at = 0;
        var rng = new Random(1);
        while (at < data.Length)
        {
            int n = Math.Min(rng.Next(1, 300_000), data.Length - at);
            if (rng.Next(2) == 0)
            {
                hashing.Write(data.AsSpan(at, n));
                at += n;
                continue;
            }
            var span = hashing.GetSpan(n);
            Assert.InRange(span.Length, 1, Block);
            n = Math.Min(n, span.Length);
            data.AsSpan(at, n).CopyTo(span);
            hashing.Advance(n);
            at += n;
        }
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(data)), hashing.FinishSha256());
        Assert.Equal(data, sink.ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => new HashingWriteStream(Stream.Null).Advance(Block + 1));
    }

    [Fact]
    public async Task WriteFailure_ReachesTheProducer_InsteadOfHangingIt()
    {
        // The sink fails on its third block while the producer is far ahead (it writes 40 blocks): the producer, waiting
        // for a free block, must be woken with the sink's exception.
        var sink = new FailingStream(failOnWrite: 3);
        var hashing = new HashingWriteStream(sink);
        var producing = Task.Run(() =>
        {
            var block = new byte[Block];
            for (int i = 0; i < 40; i++) hashing.Write(block);
            return hashing.FinishSha256();
        });
        Assert.Same(producing, await Task.WhenAny(producing, Task.Delay(TimeSpan.FromSeconds(30))));
        var e = await Assert.ThrowsAsync<IOException>(() => producing);
        Assert.Equal("disk full (test)", e.Message);
        // Later calls keep failing the same way, and Dispose returns.
        Assert.Throws<IOException>(() => hashing.Write([1]));
        hashing.Dispose();
    }

    [Fact]
    public void AfterDispose_TheStagingMemoryIsNoLongerHandedOut()
    {
        // The blocks are native memory, freed by Dispose: a span handed out afterwards would point at freed memory.
        var hashing = new HashingWriteStream(Stream.Null);
        hashing.Write(new byte[Block + 1]);
        hashing.Dispose();
        Assert.Throws<ObjectDisposedException>(() => hashing.GetSpan());
        Assert.Throws<ObjectDisposedException>(() => hashing.GetMemory());
        Assert.Throws<ObjectDisposedException>(() => hashing.Write([1]));
        Assert.Throws<ObjectDisposedException>(() => hashing.Advance(0));
        hashing.Dispose();
    }

    [Fact]
    public void StagingBlocks_AreNotManagedAllocations()
    {
        // Managed (pinned) blocks counted against the GC's budget and set off full collections mid-conversion.
        using var hashing = new HashingWriteStream(Stream.Null);
        var chunk = new byte[65_536];
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 6 * Block / chunk.Length; i++) hashing.Write(chunk);
        hashing.FinishSha256();
        Assert.InRange(GC.GetAllocatedBytesForCurrentThread() - before, 0, Block / 4);
    }

    [Fact]
    public void WriteFailure_AtTheEnd_IsThrownByFinish()
    {
        using var hashing = new HashingWriteStream(new FailingStream(failOnWrite: 1));
        hashing.Write([1, 2, 3]);
        Assert.Throws<IOException>(() => hashing.FinishSha256());
    }

    private static byte[] RandomBytes(int n, int seed)
    {
        var data = new byte[n];
        new Random(seed).NextBytes(data);
        return data;
    }

    private static bool DirectIoWorksIn(string dir)
    {
        string probe = Path.Combine(dir, "probe-" + Guid.NewGuid().ToString("N"));
        try
        {
            using SafeFileHandle h = File.OpenHandle(probe, FileMode.CreateNew, FileAccess.Write);
            return DirectIo.TrySet(h, true);
        }
        finally
        {
            File.Delete(probe);
        }
    }

    private sealed class FailingStream(int failOnWrite) : Stream
    {
        private int _writes;

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            if (++_writes == failOnWrite) throw new IOException("disk full (test)");
        }
    }
}
