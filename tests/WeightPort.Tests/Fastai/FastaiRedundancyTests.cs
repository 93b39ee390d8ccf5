using WeightPort.Conversion;
using WeightPort.Fastai;
using WeightPort.Model;
using WeightPort.Tensors;
using Xunit;

namespace WeightPort.Tests.Fastai;

public sealed class FastaiRedundancyTests
{
    private static ConversionDecision Single(FastaiCheckpoint f, DecisionKind kind) => Assert.Single(f.Validate().Decisions, d => d.Kind == kind);

    [Fact]
    public void EmbeddingAlias_SameView_DroppedAsSameView()
    {
        using var f = FakeFastai.Open(new FakeSpec { SharedStorage = true });
        var d = Single(f, DecisionKind.EmbeddingCopy);
        Assert.Equal(DecisionVerdict.DroppedSameView, d.Verdict);
        Assert.Equal(["0.encoder.weight", "0.encoder_dp.emb.weight"], d.Keys);
        Assert.Contains(ConversionPlan.Create(f).Dropped, x => x.SourcePath == "0.encoder_dp.emb.weight");
    }

    [Fact]
    public void EmbeddingAlias_EqualClone_DroppedAsEqual()
    {
        using var f = FakeFastai.Open(new FakeSpec { SharedStorage = false });
        Assert.Equal(DecisionVerdict.DroppedEqual, Single(f, DecisionKind.EmbeddingCopy).Verdict);
    }

    private static CheckpointBuilder WithAliasChanged()
    {
        // Vocab 12 × emb 6. Change [2, 3] (flat 15) by +0.5 and [7, 0] (flat 42) by -0.25.
        var b = FakeFastai.Build(new FakeSpec { Vocab = 12, Emb = 6, SharedStorage = false });
        var values = FakeFastai.Values(100, 72);
        values[15] += 0.5f;
        values[42] -= 0.25f;
        return b.Add("0.encoder_dp.emb.weight", values, [12, 6]);
    }

    [Fact]
    public void EmbeddingAlias_Differs_RefusedWithCountMaxDiffAndFirstIndex()
    {
        using var f = FastaiCheckpoint.From(WithAliasChanged().Build());
        var report = f.Validate();
        Assert.False(report.IsValid);
        var d = Assert.Single(report.Errors);
        Assert.Equal(DecisionKind.EmbeddingCopy, d.Kind);
        Assert.Contains("2 of 72 elements differ", d.Details);
        Assert.Contains("largest absolute difference 0.5,", d.Details);
        Assert.Contains("first at [2, 3] (flat 15)", d.Details);

        var e = Assert.Throws<CheckpointFormatException>(() => ConversionPlan.Create(f));
        Assert.Equal(CheckpointError.InvalidContent, e.Error);
        Assert.Contains("2 of 72 elements differ", e.Message);
        Assert.Equal("0.encoder_dp.emb.weight", e.Key);
    }

    [Fact]
    public void EmbeddingAlias_DiffersWithOverride_KeepsEncoderWeightWithWarning()
    {
        using var f = FastaiCheckpoint.From(WithAliasChanged().Build(), new FastaiOptions { AllowEmbeddingMismatch = true });
        var d = Single(f, DecisionKind.EmbeddingCopy);
        Assert.Equal(DecisionVerdict.KeptByOverride, d.Verdict);
        Assert.Equal(DecisionSeverity.Warning, d.Severity);
        Assert.StartsWith("WARNING", d.Details);
        Assert.Contains("2 of 72 elements differ", d.Details);

        var plan = ConversionPlan.Create(f);
        Assert.Equal("0.encoder.weight", plan.Find("encoder.weight")!.SourcePath);
        Assert.Contains(plan.Dropped, x => x.SourcePath == "0.encoder_dp.emb.weight" && x.Reason.Contains("FastaiOptions.AllowEmbeddingMismatch is set"));
    }

    [Fact]
    public void RecurrentCopy_SameView_Dropped()
    {
        using var f = FakeFastai.Open(new FakeSpec { Version = FakeVersion.V1 });
        var ds = f.Validate().Decisions.Where(d => d.Kind == DecisionKind.RecurrentCopy).ToList();
        Assert.Equal(3, ds.Count);
        Assert.All(ds, d => Assert.Equal(DecisionVerdict.DroppedSameView, d.Verdict));
    }

    [Fact]
    public void RecurrentCopy_EqualClone_Dropped()
    {
        var b = FakeFastai.Build(new FakeSpec { Version = FakeVersion.V1, Emb = 6, NHid = 8 });
        // A clone of layer 0's raw matrix: equal values in a separate storage.
        using var probe = FastaiCheckpoint.From(b.Build());
        var raw = ConversionPlan.Create(probe).Find("rnns.0.weight_hh_l0")!;
        b.Add("0.rnns.0.module.weight_hh_l0", raw.ToFloat32Array(), [32, 8]);

        using var f = FastaiCheckpoint.From(b.Build());
        var d = f.Validate().Decisions.First(x => x.Kind == DecisionKind.RecurrentCopy);
        Assert.Equal(DecisionVerdict.DroppedEqual, d.Verdict);
    }

    /// <summary>A v1 LM whose layer-0 copy is raw after dropout with <paramref name="p"/>, computed as PyTorch does in float32.</summary>
    private static (CheckpointBuilder Builder, float[] Raw, float[] Copy) Masked(double p, Func<float, float, float>? scaleOp = null)
    {
        var b = FakeFastai.Build(new FakeSpec { Version = FakeVersion.V1, Emb = 6, NHid = 8 });
        using var probe = FastaiCheckpoint.From(b.Build());
        var raw = ConversionPlan.Create(probe).Find("rnns.0.weight_hh_l0")!.ToFloat32Array();
        float scale = 1f / (1f - (float)p);
        var rng = new Random(7);
        var copy = new float[raw.Length];
        for (int i = 0; i < raw.Length; i++)
            copy[i] = rng.NextDouble() < p ? 0f : (scaleOp ?? ((r, s) => r * s))(raw[i], scale);
        b.Add("0.rnns.0.module.weight_hh_l0", copy, [32, 8]);
        return (b, raw, copy);
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(0.2)]
    [InlineData(0.3)]
    public void RecurrentCopy_DropoutMasked_DroppedWithPReported(double p)
    {
        var (b, raw, copy) = Masked(p);
        int zeros = Enumerable.Range(0, raw.Length).Count(i => copy[i] == 0 && raw[i] != 0);
        using var f = FastaiCheckpoint.From(b.Build());

        var d = f.Validate().Decisions.First(x => x.Kind == DecisionKind.RecurrentCopy);
        Assert.Equal(DecisionVerdict.DroppedMasked, d.Verdict);
        float scale = 1f / (1f - (float)p);
        Assert.Contains($"p = {1 - 1 / (double)scale:G6}", d.Details);
        Assert.Contains($"{zeros} of 256 elements zeroed", d.Details);
        Assert.Contains("bit for bit", d.Details);
        // The raw matrix, not the masked copy, is what gets written.
        var plan = ConversionPlan.Create(f);
        Assert.Equal("0.rnns.0.weight_hh_l0_raw", plan.Find("rnns.0.weight_hh_l0")!.SourcePath);
        Assert.Equal(raw, AwdLstmWeights.FromPlan(plan).Layers[0][0].WeightHh.ToArray());
    }

    [Fact]
    public void RecurrentCopy_ScaledInDouble_AcceptedWithinOneUlp()
    {
        // raw / (1 - p) rounded once from double: may differ from the float32 product by 1 ULP.
        var (b, _, _) = Masked(0.3, (r, _) => (float)(r / (1 - 0.3)));
        using var f = FastaiCheckpoint.From(b.Build());
        var d = f.Validate().Decisions.First(x => x.Kind == DecisionKind.RecurrentCopy);
        Assert.Equal(DecisionVerdict.DroppedMasked, d.Verdict);
        Assert.Contains("p = 0.3", d.Details);
    }

    [Fact]
    public void RecurrentCopy_OneElementOffByMoreThanRounding_Refused()
    {
        var (b, raw, copy) = Masked(0.5);
        int victim = Enumerable.Range(0, raw.Length).First(i => copy[i] != 0 && i > 10);
        copy[victim] *= 1.001f;
        b.Add("0.rnns.0.module.weight_hh_l0", copy, [32, 8]);
        using var f = FastaiCheckpoint.From(b.Build());

        var d = Assert.Single(f.Validate().Errors);
        Assert.Equal(DecisionKind.RecurrentCopy, d.Kind);
        Assert.Contains("1 of 256 elements are neither 0 nor raw", d.Details);
        Assert.Contains($"first unexplained element at [{victim / 8}, {victim % 8}] (flat {victim})", d.Details);
    }

    [Fact]
    public void RecurrentCopy_Garbage_RefusedWithNumbers()
    {
        var b = FakeFastai.Build(new FakeSpec { Version = FakeVersion.V1, Emb = 6, NHid = 8 });
        b.Add("0.rnns.1.module.weight_hh_l0", FakeFastai.Values(4242, 256), [32, 8]);
        using var f = FastaiCheckpoint.From(b.Build());

        var d = Assert.Single(f.Validate().Errors);
        Assert.Equal(["0.rnns.1.weight_hh_l0_raw", "0.rnns.1.module.weight_hh_l0"], d.Keys);
        Assert.Contains("layer 1", d.Details);
        Assert.Contains("elements differ, largest absolute difference", d.Details);
        var e = Assert.Throws<CheckpointFormatException>(() => ConversionPlan.Create(f));
        Assert.Equal(CheckpointError.InvalidContent, e.Error);
        Assert.Equal("0.rnns.1.module.weight_hh_l0", e.Key);
    }

    [Fact]
    public void RecurrentCopy_ScaledWithoutDropout_RefusedWhenScaleBelowOne()
    {
        var (b, _, _) = Masked(0.5, (r, _) => r * 0.5f);
        using var f = FastaiCheckpoint.From(b.Build());
        var d = Assert.Single(f.Validate().Errors);
        Assert.Contains("not a dropout scale", d.Details);
    }

    [Fact]
    public void RecurrentCopy_Float16Masked_Accepted()
    {
        var b = FakeFastai.Build(new FakeSpec { Version = FakeVersion.V1, Emb = 6, NHid = 8, DType = DType.Float16 });
        using var probe = FastaiCheckpoint.From(b.Build());
        var raw = ConversionPlan.Create(probe).Find("rnns.0.weight_hh_l0")!.ToFloat32Array();
        float scale = 1f / (1f - 0.3f);
        var rng = new Random(3);
        var copy = raw.Select(r => rng.NextDouble() < 0.3 ? 0f : (float)(Half)(r * scale)).ToArray();
        b.Add("0.rnns.0.module.weight_hh_l0", copy, [32, 8], DType.Float16);
        using var f = FastaiCheckpoint.From(b.Build());
        Assert.Equal(DecisionVerdict.DroppedMasked, f.Validate().Decisions.First(x => x.Kind == DecisionKind.RecurrentCopy).Verdict);
    }

    [Fact]
    public void V07_RecurrentCopyPresent_ValidatedAndDropped()
    {
        using var f = FakeFastai.Open(new FakeSpec { Version = FakeVersion.V07, V07HhCopy = true, DecoderBias = false });
        Assert.Equal(FastaiLayout.LanguageModelV07, f.Layout);
        var plan = ConversionPlan.Create(f);
        Assert.Equal("0.rnns.2.module.weight_hh_l0_raw", plan.Find("rnns.2.weight_hh_l0")!.SourcePath);
        Assert.Contains(plan.Dropped, d => d.SourcePath == "0.rnns.2.module.weight_hh_l0");
        Assert.Contains(plan.Dropped, d => d.SourcePath == "0.encoder_with_dropout.embed.weight");
        Assert.Null(plan.Find("decoder.bias"));
    }

    [Fact]
    public void Decoder_SameView_TiedStoredOnce()
    {
        using var f = FakeFastai.Open(new FakeSpec());
        Assert.True(f.Config!.Tied);
        var plan = ConversionPlan.Create(f);
        Assert.Null(plan.Find("decoder.weight"));
        Assert.NotNull(plan.Find("decoder.bias"));
        Assert.Contains(plan.Dropped, d => d.SourcePath == "1.decoder.weight" && d.Reason.Contains("tied"));
        Assert.Equal(DecisionVerdict.Tied, Single(f, DecisionKind.DecoderTie).Verdict);
        var w = AwdLstmWeights.FromPlan(plan);
        Assert.Null(w.DecoderWeight);
        Assert.True(w.HasDecoder);
    }

    [Fact]
    public void Decoder_EqualClone_Tied()
    {
        using var f = FakeFastai.Open(new FakeSpec { SharedStorage = false });
        Assert.True(f.Config!.Tied);
        Assert.Contains("bitwise equal", Single(f, DecisionKind.DecoderTie).Details);
    }

    [Fact]
    public void Decoder_TiedWithWriteOption_WrittenFromDecoderKey()
    {
        using var f = FakeFastai.Open(new FakeSpec());
        var plan = ConversionPlan.Create(f, new ConversionOptions { WriteTiedDecoderWeight = true });
        Assert.Equal("1.decoder.weight", plan.Find("decoder.weight")!.SourcePath);
        Assert.DoesNotContain(plan.Dropped, d => d.SourcePath == "1.decoder.weight");
        Assert.Null(AwdLstmWeights.FromPlan(plan).DecoderWeight);
    }

    [Fact]
    public void Decoder_DifferentValues_UntiedKeptAsOwnTensor()
    {
        using var f = FakeFastai.Open(new FakeSpec { Untied = true });
        Assert.False(f.Config!.Tied);
        var d = Single(f, DecisionKind.DecoderTie);
        Assert.Equal(DecisionVerdict.Untied, d.Verdict);
        Assert.Contains("elements differ", d.Details);
        var plan = ConversionPlan.Create(f);
        Assert.Equal("1.decoder.weight", plan.Find("decoder.weight")!.SourcePath);
        var w = AwdLstmWeights.FromPlan(plan);
        Assert.NotNull(w.DecoderWeight);
        Assert.NotEqual(w.Embedding.ToArray(), w.DecoderWeight!.Value.ToArray());
    }
}
