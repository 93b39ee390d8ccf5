using WeightPort.Fastai;
using WeightPort.Tests.Infrastructure;
using Xunit;

namespace WeightPort.Tests.Fastai;

public sealed class FastaiNameMapTests
{
    [Fact]
    public void Expand_EveryLayoutAndShape_NoCollisionsAndEveryTargetUnique()
    {
        foreach (var d in FastaiNameMap.Layouts)
        {
            for (int layers = 1; layers <= 4; layers++)
            {
                foreach (bool bidir in new[] { false, true })
                {
                    HeadBlockIndex[] head = d.HeadStyle switch
                    {
                        HeadStyle.Nested => [new(0, 0, 2), new(1, 0, 1)],
                        HeadStyle.Flat => [new(0, 0, 2), new(1, 4, 5)],
                        HeadStyle.Named => [new(0, -1, -1), new(1, -1, -1)],
                        _ => [],
                    };
                    var map = FastaiNameMap.Expand(d, layers, bidir, head);
                    Assert.All(map.Keys, k => Assert.DoesNotContain("{", k));
                    var targets = map.Values.Where(m => FastaiNameMap.TargetTemplate(m.Role) is not null)
                        .Select(m => FastaiNameMap.TargetName(m.Role, m.Index)).ToList();
                    Assert.Equal(targets.Count, targets.Distinct().Count());
                    Assert.Equal(bidir, map.Values.Any(m => m.Role == FastaiRole.WeightHhReverse));
                    Assert.Equal(layers, map.Values.Count(m => m.Role == FastaiRole.WeightHh));
                }
            }
        }
    }

    [Fact]
    public void Layouts_EveryLayout_ExactlyOneDescriptor()
    {
        foreach (var layout in Enum.GetValues<FastaiLayout>().Where(l => l != FastaiLayout.Passthrough))
        {
            Assert.Single(FastaiNameMap.Layouts, d => d.Layout == layout);
            Assert.Equal(layout, FastaiNameMap.Descriptor(layout).Layout);
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => FastaiNameMap.Descriptor(FastaiLayout.Passthrough));
    }

    [Fact]
    public void TargetName_Roles_CanonicalNames()
    {
        Assert.Equal("rnns.2.weight_hh_l0", FastaiNameMap.TargetName(FastaiRole.WeightHh, 2));
        Assert.Equal("rnns.0.bias_hh_l0_reverse", FastaiNameMap.TargetName(FastaiRole.BiasHhReverse, 0));
        Assert.Equal("head.1.linear.weight", FastaiNameMap.TargetName(FastaiRole.HeadLinearWeight, 1));
        Assert.Equal("decoder.bias", FastaiNameMap.TargetName(FastaiRole.DecoderBias, 0));
        Assert.Throws<ArgumentException>(() => FastaiNameMap.TargetName(FastaiRole.EmbeddingCopy, 0));
        Assert.NotNull(FastaiNameMap.DropReason(FastaiRole.WeightHhCopy));
    }

    [Fact]
    public void Expand_RecurrentWeight_AlwaysFromRawInFastaiLayouts()
    {
        foreach (var d in FastaiNameMap.Layouts.Where(d => d.Layout != FastaiLayout.Canonical))
        {
            var map = FastaiNameMap.Expand(d, 2, false, []);
            var hh = map.Where(kv => kv.Value.Role == FastaiRole.WeightHh).Select(kv => kv.Key).ToList();
            Assert.All(hh, k => Assert.EndsWith("weight_hh_l0_raw", k));
        }
    }

    [Fact]
    public void Docs_NameMap_ListsEveryTargetTemplate()
    {
        string doc = File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "docs", "name-map.md"));
        foreach (var role in Enum.GetValues<FastaiRole>())
        {
            Assert.Contains("`" + role + "`", doc);
            if (FastaiNameMap.TargetTemplate(role) is { } t) Assert.Contains("`" + t + "`", doc);
        }
        foreach (var id in FastaiLayouts.AllIds) Assert.Contains("`" + id + "`", doc);
    }
}
