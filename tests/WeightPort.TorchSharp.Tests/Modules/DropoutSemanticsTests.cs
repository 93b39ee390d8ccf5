using WeightPort.TorchSharp.Modules;
using static TorchSharp.torch;

namespace WeightPort.TorchSharp.Tests.Modules;

/// <summary>The training-mode semantics, tested as fastai's AWD_LSTM documentation tests them.</summary>
public sealed class DropoutSemanticsTests
{
    public DropoutSemanticsTests() => random.manual_seed(2026);

    [Fact]
    public void DropoutMask_ValuesAreZeroOrInverseKeep()
    {
        using var like = zeros(1);
        using var mask = DropoutMask.Create(like, [100, 100], 0.3);
        var values = mask.data<float>().ToArray();
        float scaled = (float)(1 / (1 - 0.3));
        Assert.All(values, v => Assert.True(v == 0 || Math.Abs(v - scaled) < 1e-6, $"mask value {v}"));
        double zeroShare = values.Count(v => v == 0) / (double)values.Length;
        Assert.InRange(zeroShare, 0.27, 0.33);
    }

    [Fact]
    public void RNNDropout_MasksTheSameFeaturesAtEveryStep()
    {
        using var dp = new RNNDropout(0.5);
        dp.train();
        using var x = randn(3, 7, 5) + 10;
        using var y = dp.forward(x);
        using var ratio = y / x;
        // Each (row, feature) is either dropped at every step or kept (×2) at every step.
        using var first = ratio.narrow(1, 0, 1);
        Assert.True((ratio - first).abs().max().item<float>() < 1e-5f);
        var r = ratio.data<float>().ToArray();
        Assert.All(r, v => Assert.True(Math.Abs(v) < 1e-6 || Math.Abs(v - 2) < 1e-5, $"ratio {v}"));
        Assert.Contains(r, v => Math.Abs(v) < 1e-6);
        Assert.Contains(r, v => Math.Abs(v - 2) < 1e-5);
    }

    [Fact]
    public void RNNDropout_IsIdentityInEvalAndAtZero()
    {
        using var x = randn(2, 4, 3);
        using var dp = new RNNDropout(0.5);
        dp.eval();
        using var y = dp.forward(x);
        Assert.True(y.eq(x).all().item<bool>());
        using var none = new RNNDropout(0);
        none.train();
        using var z = none.forward(x);
        Assert.True(z.eq(x).all().item<bool>());
    }

    [Fact]
    public void WeightDropout_RawWeightGetsGradients_AndAboutPOfTheUsedWeightIsZero()
    {
        using var lstm = new WeightDroppedLstm(8, 40, bidirectional: false, weightP: 0.5);
        lstm.train();
        var raw = lstm.get_parameter("weight_hh_l0")!;
        Assert.Contains(lstm.named_parameters(), p => p.name == "weight_hh_l0");
        Assert.DoesNotContain(lstm.named_parameters(), p => p.name.Contains("raw", StringComparison.Ordinal));
        using var used = lstm.EffectiveWeightHh();
        double zeroShare = used.eq(0).to_type(ScalarType.Float32).mean().item<float>();
        Assert.InRange(zeroShare, 0.45, 0.55);
        using var kept = used.ne(0);
        using var keptRatio = used.masked_select(kept) / raw.masked_select(kept);
        Assert.True((keptRatio - 2).abs().max().item<float>() < 1e-5f);
        Assert.True(raw.ne(0).all().item<bool>(), "the raw parameter itself is never zeroed");

        var (output, _, _) = lstm.forward(randn(2, 5, 8), null);
        output.sum().backward();
        Assert.NotNull(raw.grad);
        Assert.True(raw.grad!.abs().sum().item<float>() > 0);
    }

    [Fact]
    public void WeightDropout_EvalUsesTheRawWeight()
    {
        using var lstm = new WeightDroppedLstm(4, 6, bidirectional: false, weightP: 0.5);
        lstm.eval();
        using var used = lstm.EffectiveWeightHh();
        Assert.True(used.eq(lstm.get_parameter("weight_hh_l0")!).all().item<bool>());
    }

    [Fact]
    public void EmbeddingDropout_ZeroesWholeRowsAndScalesTheRest()
    {
        using var emb = nn.Embedding(50, 6, padding_idx: 1);
        using var dp = new EmbeddingDropout(emb, 0.4, padToken: 1);
        dp.train();
        using var words = arange(50).unsqueeze(0);
        using var looked = dp.forward(words).squeeze(0);
        using var ratio = looked / emb.weight!;
        // Row 1 is the padding row, which nn.Embedding initialises to zeros.
        var rows = Enumerable.Range(0, 50).Where(i => i != 1).Select(i => ratio[i].data<float>().ToArray()).ToList();
        float scale = (float)(1 / 0.6);
        foreach (var row in rows)
            Assert.True(row.All(v => Math.Abs(v) < 1e-6) || row.All(v => Math.Abs(v - scale) < 1e-5), $"row [{string.Join(", ", row)}]");
        Assert.Contains(rows, r => r.All(v => Math.Abs(v) < 1e-6));
        Assert.Contains(rows, r => r.All(v => Math.Abs(v - scale) < 1e-5));
    }

    [Fact]
    public void EmbeddingDropout_PadRowGetsNoGradient()
    {
        using var emb = nn.Embedding(10, 3, padding_idx: 1);
        using var dp = new EmbeddingDropout(emb, 0.1, padToken: 1);
        dp.train();
        using var words = tensor(new long[] { 1, 2, 1, 3 }).unsqueeze(0);
        dp.forward(words).sum().backward();
        var grad = emb.weight!.grad!;
        Assert.Equal(0f, grad[1].abs().sum().item<float>());
        Assert.True(grad[2].abs().sum().item<float>() > 0 || grad[3].abs().sum().item<float>() > 0);
    }
}
