using WeightPort.IO;
using Xunit;

namespace WeightPort.Tests.IO;

/// <summary>Direct writes go on only while the device keeps up with the hash.</summary>
public sealed class DirectWritePolicyTests
{
    [Theory]
    [InlineData(100, 100, true)]   // as fast as hashing
    [InlineData(100, 125, true)]   // within the slack
    [InlineData(100, 130, false)]  // slower: the pipeline would wait for the device
    [InlineData(100, 1000, false)] // a hard disk
    public void AfterTheSample_CompareAverageWriteWithAverageHash(long hashTicks, long writeTicks, bool keep)
    {
        var policy = new DirectWritePolicy();
        for (int i = 0; i < DirectWritePolicy.SampleBlocks; i++)
        {
            policy.HashedBlock(hashTicks);
            policy.WroteBlock(writeTicks);
        }
        Assert.Equal(keep, policy.KeepDirect);
    }

    [Fact]
    public void BeforeTheSample_KeepsDirect_HoweverSlow()
    {
        var policy = new DirectWritePolicy();
        for (int i = 0; i < DirectWritePolicy.SampleBlocks - 1; i++)
        {
            policy.HashedBlock(1);
            policy.WroteBlock(1_000_000);
        }
        Assert.True(policy.KeepDirect);
        // Enough writes but too few hashes timed: still no basis for a decision.
        policy.WroteBlock(1_000_000);
        Assert.True(policy.KeepDirect);
        policy.HashedBlock(1);
        policy.WroteBlock(1_000_000);
        Assert.False(policy.KeepDirect);
    }

    [Fact]
    public void GoingBackToBufferedIsFinal()
    {
        var policy = new DirectWritePolicy();
        for (int i = 0; i < DirectWritePolicy.SampleBlocks; i++)
        {
            policy.HashedBlock(100);
            policy.WroteBlock(500);
        }
        Assert.False(policy.KeepDirect);
        for (int i = 0; i < 1000; i++)
        {
            policy.HashedBlock(100);
            policy.WroteBlock(1);
        }
        Assert.False(policy.KeepDirect);
    }
}
