using System.Security.Cryptography;
using WeightPort.IO;
using Xunit;

namespace WeightPort.Tests.IO;

/// <summary>The background-hashing pass-through: same bytes out, same digest as hashing them at once.</summary>
public sealed class HashingWriteStreamTests
{
    [Theory]
    [InlineData(0, 1)]
    [InlineData(1, 1)]
    [InlineData(1 << 20, 1 << 20)]          // exactly one staging block
    [InlineData((9 << 20) + 12_345, 65_537)] // more blocks than the pool holds, writes straddling block edges
    [InlineData((5 << 20) + 3, 3 << 20)]     // single writes larger than a block
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
}
