using WeightPort.TorchSharp.Modules;
using WeightPort.TorchSharp.Training;
using static TorchSharp.torch;

namespace WeightPort.TorchSharp.Tests.Training;

/// <summary>Parameter groups, freezing, the schedules and the optimizer.</summary>
public sealed class TrainingPartsTests
{
    private static readonly AwdLstmArchitecture Small = new(30, 8, 12, 3);

    [Fact]
    public void LanguageModelSplit_IsOneGroupPerLayer_ThenEmbeddingWithDecoder()
    {
        using var lm = new AwdLstmLanguageModel(Small);
        var groups = lm.ParameterGroups();
        Assert.Equal(4, groups.Count);
        Assert.All(groups.Groups.Take(3), g => Assert.Equal(4, g.Count));
        Assert.Equal(2, groups.Groups[3].Count); // the tied embedding once, and the decoder bias
        Assert.Equal(lm.parameters().Count(), groups.Groups.Sum(g => g.Count));
    }

    [Fact]
    public void ClassifierSplit_IsEmbedding_Layers_Head()
    {
        using var clas = new AwdLstmTextClassifier(Small, ClassifierHead.Default(3));
        var groups = clas.ParameterGroups();
        Assert.Equal(5, groups.Count);
        Assert.Single(groups.Groups[0]);
        Assert.Equal(6, groups.Groups[4].Count); // 2 × (bn weight, bn bias, linear weight)
        groups.FreezeTo(-2);
        Assert.Equal([false, false, false, true, true], groups.Groups.Select(g => g.All(p => p.requires_grad)));
        Assert.All(groups.Groups.Take(3), g => Assert.All(g, p => Assert.False(p.requires_grad)));
        groups.Freeze();
        Assert.Equal([false, false, false, false, true], groups.Groups.Select(g => g[0].requires_grad));
        groups.Unfreeze();
        Assert.All(groups.Groups.SelectMany(g => g), p => Assert.True(p.requires_grad));
    }

    [Fact]
    public void DiscriminativeRates_DivideBy2Point6PerGroup()
    {
        using var clas = new AwdLstmTextClassifier(Small, ClassifierHead.Default(2));
        var groups = clas.ParameterGroups();
        var slice = groups.Slice(1e-2 / Math.Pow(2.6, 4), 1e-2);
        var disc = groups.Discriminative(1e-2);
        for (int g = 0; g < 5; g++)
        {
            Assert.Equal(1e-2 / Math.Pow(2.6, 4 - g), slice[g], 12);
            Assert.Equal(slice[g], disc[g], 12);
        }
    }

    [Fact]
    public void OneCycle_WarmsUp_Peaks_AndAnneals()
    {
        var s = new OneCycleSchedule(100);
        Assert.Equal(1 / 25.0, s.LearningRateFactor(0), 9);
        Assert.Equal(1.0, s.LearningRateFactor(25), 9);
        Assert.Equal(0.85, s.Momentum(25), 9);
        Assert.Equal(0.95, s.Momentum(0), 9);
        Assert.True(s.LearningRateFactor(99) < 1e-3);
        Assert.True(Enumerable.Range(0, 25).All(i => s.LearningRateFactor(i) < s.LearningRateFactor(i + 1)));
        Assert.True(Enumerable.Range(25, 74).All(i => s.LearningRateFactor(i) > s.LearningRateFactor(i + 1)));
    }

    [Fact]
    public void SlantedTriangular_FollowsThePaper()
    {
        var s = new SlantedTriangularSchedule(1000);
        Assert.Equal(1 / 32.0, s.LearningRateFactor(0), 9);
        Assert.Equal(1.0, s.LearningRateFactor(100), 9);
        Assert.Equal(1 / 32.0, s.LearningRateFactor(1000), 9);
        Assert.Equal((1 + 0.5 * 31) / 32, s.LearningRateFactor(550), 9);
    }

    [Fact]
    public void AdamW_SkipsFrozenParameters_AndMovesTrainableOnes()
    {
        random.manual_seed(3);
        using var lm = new AwdLstmLanguageModel(Small);
        var groups = lm.ParameterGroups();
        using var opt = new UlmfitAdamW(groups);
        opt.SetLearningRates([1e-2, 1e-2, 1e-2, 1e-2]);
        using var x = randint(0, 30, [2, 6]);
        using var first = lm.forward(x);
        first.sum().backward();
        groups.Freeze();
        var frozen = groups.Groups[0].Select(p => p.clone()).ToList();
        var trained = groups.Groups[3].Select(p => p.clone()).ToList();
        opt.Step();
        for (int i = 0; i < frozen.Count; i++) Assert.True(groups.Groups[0][i].eq(frozen[i]).all().item<bool>(), "a frozen parameter moved");
        Assert.Contains(Enumerable.Range(0, trained.Count), i => !groups.Groups[3][i].eq(trained[i]).all().item<bool>());
    }
}
