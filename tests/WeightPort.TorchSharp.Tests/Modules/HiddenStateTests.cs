using WeightPort.TorchSharp.Modules;
using static TorchSharp.torch;

namespace WeightPort.TorchSharp.Tests.Modules;

/// <summary>The encoder carries its hidden state between calls as fastai v2's AWD_LSTM does.</summary>
public sealed class HiddenStateTests
{
    private static AwdLstmLanguageModel Model()
    {
        random.manual_seed(7);
        var model = new AwdLstmLanguageModel(new AwdLstmArchitecture(30, 8, 12, 2));
        model.eval();
        return model;
    }

    [Fact]
    public void StateCarriesOver_TwoHalvesEqualTheWhole()
    {
        using var model = Model();
        using var _ = no_grad();
        using var x = randint(0, 30, [2, 10]);
        using var whole = model.forward(x);
        model.ResetState();
        using var a = model.forward(x.narrow(1, 0, 4));
        using var b = model.forward(x.narrow(1, 4, 6));
        using var halves = cat([a, b], 1);
        Assert.True((whole - halves).abs().max().item<float>() < 1e-6f);
    }

    [Fact]
    public void ResetState_StartsFromZeros()
    {
        using var model = Model();
        using var _ = no_grad();
        using var x = randint(0, 30, [2, 5]);
        using var first = model.forward(x);
        using var carried = model.forward(x);
        Assert.True((first - carried).abs().max().item<float>() > 1e-4f, "the second call must see the carried state");
        model.ResetState();
        Assert.Null(model.Encoder.State);
        using var again = model.forward(x);
        Assert.True((first - again).abs().max().item<float>() < 1e-7f);
    }

    [Fact]
    public void StateIsDetached_BetweenCalls()
    {
        using var model = Model();
        model.train();
        using var x = randint(0, 30, [2, 5]);
        model.forward(x).sum().backward();
        Assert.All(model.Encoder.State!, s => Assert.False(s.H.requires_grad || s.C.requires_grad));
        // A second backward through a new call must not reach into the first call's graph.
        model.forward(x).sum().backward();
    }

    [Fact]
    public void BatchSizeChange_KeepsTheFirstRows_AndAddsZeroRows()
    {
        using var model = Model();
        using var _ = no_grad();
        using var x = randint(0, 30, [3, 4]);
        model.forward(x);
        var h3 = model.Encoder.State![0].H.clone();
        model.Encoder.forward(zeros([2, 0], ScalarType.Int64));
        // Shrinking keeps rows 0 and 1 of the carried state (fastai v2's _change_one_hidden).
        Assert.True(model.Encoder.State![0].H.eq(h3.narrow(1, 0, 2)).all().item<bool>());
        using var four = randint(0, 30, [4, 0]);
        model.Encoder.forward(four);
        var h4 = model.Encoder.State![0].H;
        Assert.Equal(4, h4.shape[1]);
        Assert.True(h4.narrow(1, 0, 2).eq(h3.narrow(1, 0, 2)).all().item<bool>());
        Assert.True(h4.narrow(1, 2, 2).eq(0).all().item<bool>(), "grown rows start at zero");
    }
}
