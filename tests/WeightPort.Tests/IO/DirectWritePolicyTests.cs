using WeightPort.IO;
using Xunit;

namespace WeightPort.Tests.IO;

/// <summary>Direct writes go on only while the device keeps up with the hash.</summary>
public sealed class DirectWritePolicyTests
{
    private const int N = DirectWritePolicy.SampleBlocks;

    [Theory]
    [InlineData(100, 100, true)]   // as fast as hashing
    [InlineData(100, 200, true)]   // within the slack
    [InlineData(100, 210, false)]  // slower: the pipeline would wait for the device
    [InlineData(100, 1400, false)] // a hard disk against SHA-NI
    public void AfterTheSample_ComparesTheMedians(long hashTicks, long writeTicks, bool keep)
    {
        var policy = Feed(Enumerable.Repeat(hashTicks, N), Enumerable.Repeat(writeTicks, N));
        Assert.Equal(keep, policy.KeepDirect);
    }

    [Fact]
    public void SlowFirstWritesAndPreemptedOutliers_DoNotCount()
    {
        // Block allocation makes the first writes of a new file slow; a descheduled thread makes a few more look slow.
        long[] writes = [1300, 1150, 1100, 900, 130, 12_000, 120, 110, 115, 125, 4_000, 118, 112, 121, 119, 117];
        Assert.True(Feed(Enumerable.Repeat(100L, N), writes).KeepDirect);
    }

    [Fact]
    public void TheMedianIsOfTheSortedSample_NotTheMiddleOfTheArrivalOrder()
    {
        // Nine slow writes and seven fast ones, the fast ones arriving in the middle: the median is slow.
        long[] writes = [300, 300, 300, 300, 300, 300, 300, 100, 100, 300, 300, 100, 100, 100, 100, 100];
        Assert.False(Feed(Enumerable.Repeat(100L, N), writes).KeepDirect);
    }

    [Fact]
    public void BeforeTheSampleIsComplete_KeepsDirect_HoweverSlow()
    {
        var policy = Feed(Enumerable.Repeat(1L, N - 1), Enumerable.Repeat(1_000_000L, N + 5));
        Assert.True(policy.KeepDirect);
        // The last hash sample completes it; the next write decides.
        policy.HashedBlock(1);
        policy.WroteBlock(1_000_000);
        Assert.False(policy.KeepDirect);
    }

    [Fact]
    public void TheDecisionIsTakenOnce()
    {
        var keep = Feed(Enumerable.Repeat(100L, N), Enumerable.Repeat(100L, N));
        var stop = Feed(Enumerable.Repeat(100L, N), Enumerable.Repeat(500L, N));
        for (int i = 0; i < 100; i++)
        {
            keep.HashedBlock(100);
            keep.WroteBlock(100_000);
            stop.HashedBlock(100);
            stop.WroteBlock(1);
        }
        Assert.True(keep.KeepDirect);
        Assert.False(stop.KeepDirect);
    }

    private static DirectWritePolicy Feed(IEnumerable<long> hashes, IEnumerable<long> writes)
    {
        var policy = new DirectWritePolicy();
        foreach (long h in hashes) policy.HashedBlock(h);
        foreach (long w in writes) policy.WroteBlock(w);
        return policy;
    }
}
