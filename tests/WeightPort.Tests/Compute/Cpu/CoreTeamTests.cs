using WeightPort.Compute.Cpu;
using Xunit;

namespace WeightPort.Tests.Compute.Cpu;

/// <summary>The core team runs every item of a job exactly once, from one caller or several at a time, and reports failures.</summary>
public sealed class CoreTeamTests
{
    private sealed class Counting(int[] counts) : TeamWork
    {
        public override void Run(int item) => Interlocked.Increment(ref counts[item]);
    }

    private sealed class Failing : TeamWork
    {
        public override void Run(int item)
        {
            if (item == 7) throw new InvalidOperationException("item 7");
        }
    }

    [Fact]
    public void Run_ManyJobsInARow_EveryItemExactlyOnce()
    {
        for (int job = 0; job < 2000; job++)
        {
            int items = 1 + job % 97;
            var counts = new int[items];
            CoreTeam.Shared.Run(new Counting(counts), items);
            Assert.All(counts, c => Assert.Equal(1, c));
        }
    }

    [Fact]
    public async Task Run_TwoCallersAtOnce_EveryItemExactlyOnce()
    {
        void Caller()
        {
            for (int job = 0; job < 500; job++)
            {
                var counts = new int[64];
                CoreTeam.Shared.Run(new Counting(counts), counts.Length);
                Assert.All(counts, c => Assert.Equal(1, c));
            }
        }
        await Task.WhenAll(Task.Run(Caller), Task.Run(Caller));
    }

    [Fact]
    public void Run_ItemThrows_CallerGetsTheExceptionAndTheTeamGoesOn()
    {
        var e = Assert.Throws<AggregateException>(() => CoreTeam.Shared.Run(new Failing(), 64));
        Assert.Contains("item 7", e.InnerException!.Message);
        var counts = new int[10];
        CoreTeam.Shared.Run(new Counting(counts), counts.Length);
        Assert.All(counts, c => Assert.Equal(1, c));
    }
}
