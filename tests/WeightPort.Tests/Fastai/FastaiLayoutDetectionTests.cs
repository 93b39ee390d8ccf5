using WeightPort.Conversion;
using WeightPort.Fastai;
using WeightPort.Model;
using WeightPort.Tensors;
using Xunit;

namespace WeightPort.Tests.Fastai;

public sealed class FastaiLayoutDetectionTests
{
    [Theory]
    [InlineData(FakeVersion.V2, FakeKind.LanguageModel, FastaiLayout.LanguageModelV2)]
    [InlineData(FakeVersion.V1, FakeKind.LanguageModel, FastaiLayout.LanguageModelV1)]
    [InlineData(FakeVersion.V07, FakeKind.LanguageModel, FastaiLayout.LanguageModelV07)]
    [InlineData(FakeVersion.V2, FakeKind.Encoder, FastaiLayout.EncoderV2)]
    [InlineData(FakeVersion.V1, FakeKind.Encoder, FastaiLayout.EncoderV1)]
    [InlineData(FakeVersion.V07, FakeKind.Encoder, FastaiLayout.EncoderV07)]
    [InlineData(FakeVersion.V2, FakeKind.Classifier, FastaiLayout.ClassifierV2)]
    [InlineData(FakeVersion.V1, FakeKind.Classifier, FastaiLayout.ClassifierV1)]
    [InlineData(FakeVersion.V07, FakeKind.Classifier, FastaiLayout.ClassifierV07)]
    public void Detect_EveryLayout_RecognisedWithConfigFromShapes(FakeVersion version, FakeKind kind, FastaiLayout expected)
    {
        var spec = new FakeSpec { Version = version, Kind = kind, Vocab = 17, Emb = 6, NHid = 10, Layers = 3, DecoderBias = version != FakeVersion.V07 };
        using var f = FakeFastai.Open(spec);

        Assert.Equal(expected, f.Layout);
        var c = f.Config!;
        Assert.Equal(17, c.Model.VocabSize);
        Assert.Equal(6, c.Model.EmbSize);
        Assert.Equal(10, c.Model.HiddenSize);
        Assert.Equal(3, c.Model.Layers);
        Assert.False(c.Model.Bidirectional);
        Assert.Equal(kind == FakeKind.LanguageModel, c.HasDecoder);
        Assert.Equal(kind == FakeKind.LanguageModel, c.Tied);
        Assert.Equal(kind == FakeKind.LanguageModel && version != FakeVersion.V07, c.DecoderBias);
        Assert.Equal(DType.Float32, c.DType);
        if (kind == FakeKind.Classifier)
        {
            Assert.Equal([18, 5, 3], c.HeadSizes);
            Assert.Equal(3, c.ClassCount);
            Assert.Equal(version != FakeVersion.V2, c.HeadLinearBias);
        }
        else
        {
            Assert.Empty(c.HeadSizes);
        }
        Assert.True(f.Validate().IsValid);
    }

    [Fact]
    public void Detect_SingleLayerModel_HiddenSizeIsEmb()
    {
        using var f = FakeFastai.Open(new FakeSpec { Layers = 1, Emb = 4 });
        Assert.Equal(1, f.Config!.Model.Layers);
        Assert.Equal(4, f.Config.Model.HiddenSize);
    }

    [Fact]
    public void Detect_WrappedModelAndOpt_StripsModelPrefixAndDropsOptimizer()
    {
        using var f = FakeFastai.Open(new FakeSpec { Version = FakeVersion.V2, Wrapped = true });

        Assert.Equal(FastaiLayout.LanguageModelV2, f.Layout);
        Assert.True(f.IsWrapped);
        var plan = ConversionPlan.Create(f);
        Assert.Equal("model.0.encoder.weight", plan.Find("encoder.weight")!.SourcePath);
        Assert.Contains(plan.Dropped, d => d.SourcePath == "opt.state.0.exp_avg" && d.Reason.Contains("optimizer"));
        var opt = Assert.Single(plan.Decisions, d => d.Kind == DecisionKind.OptimizerState);
        Assert.Equal(DecisionVerdict.DroppedNotModel, opt.Verdict);
        Assert.Equal(["opt.state.0.exp_avg", "opt.state.0.exp_avg_sq"], opt.Keys);
    }

    [Fact]
    public void Detect_Bidirectional_InfersPerDirectionSizesAndMapsReverseHhAsOrdinary()
    {
        using var f = FakeFastai.Open(new FakeSpec { Version = FakeVersion.V1, Bidir = true, Emb = 6, NHid = 10, Layers = 3 });

        var m = f.Config!.Model;
        Assert.True(m.Bidirectional);
        Assert.Equal(10, m.HiddenSize);
        Assert.Equal(5, m.LayerHiddenSize(0));
        Assert.Equal(3, m.LayerHiddenSize(2));
        var plan = ConversionPlan.Create(f);
        var rev = plan.Find("rnns.1.weight_hh_l0_reverse")!;
        Assert.Equal("0.rnns.1.module.weight_hh_l0_reverse", rev.SourcePath);
        Assert.Equal([20L, 5L], rev.Shape);
        Assert.Equal("0.rnns.1.weight_hh_l0_raw", plan.Find("rnns.1.weight_hh_l0")!.SourcePath);
        // Only the forward direction has a derived copy to validate.
        Assert.Equal(3, plan.Decisions.Count(d => d.Kind == DecisionKind.RecurrentCopy));
    }

    [Fact]
    public void Detect_Float16WithFloat32BatchNorm_ReportsFloat16()
    {
        using var f = FakeFastai.Open(new FakeSpec { Version = FakeVersion.V1, Kind = FakeKind.Classifier, DType = DType.Float16 });

        Assert.Equal(DType.Float16, f.Config!.DType);
        var plan = ConversionPlan.Create(f);
        Assert.Equal(DType.Float16, plan.Find("rnns.0.weight_hh_l0")!.OutputDType);
        Assert.Equal(DType.Float32, plan.Find("head.0.bn.weight")!.OutputDType);
        Assert.Equal(DType.Int64, plan.Find("head.0.bn.num_batches_tracked")!.OutputDType);
    }

    [Theory]
    [InlineData(FakeVersion.V2, "1.layers.0.1.weight")]
    [InlineData(FakeVersion.V1, "1.layers.1.weight")]
    public void Detect_ClassifierWithZeroDropoutBlock_FollowsLinearIndexShift(FakeVersion version, string shiftedLinear)
    {
        var spec = new FakeSpec { Version = version, Kind = FakeKind.Classifier, LinFtrs = [7, 4], Classes = 2, HeadDropout = [false, true, true] };
        var builder = FakeFastai.Build(spec);
        Assert.Contains(shiftedLinear, builder.Paths);
        using var f = FastaiCheckpoint.From(builder.Build());

        Assert.Equal([18, 7, 4, 2], f.Config!.HeadSizes);
        Assert.Equal([true, false, false], f.Config.HeadDropoutFree);
        var plan = ConversionPlan.Create(f);
        Assert.Equal(shiftedLinear, plan.Find("head.0.linear.weight")!.SourcePath);
        Assert.Contains("p = 0", plan.Decisions[0].Details);
    }

    [Fact]
    public void Detect_V1FlatHead_BlockIndicesIncludeReluAndDropout()
    {
        var builder = FakeFastai.Build(new FakeSpec { Version = FakeVersion.V1, Kind = FakeKind.Classifier, LinFtrs = [5], Classes = 3 });
        // bn_drop_lin: BN 0, Dropout 1, Linear 2, ReLU 3, BN 4, Dropout 5, Linear 6.
        Assert.Contains("1.layers.6.bias", builder.Paths);
        using var f = FastaiCheckpoint.From(builder.Build());
        var plan = ConversionPlan.Create(f);
        Assert.Equal("1.layers.4.running_var", plan.Find("head.1.bn.running_var")!.SourcePath);
        Assert.Equal("1.layers.6.bias", plan.Find("head.1.linear.bias")!.SourcePath);
    }

    [Fact]
    public void Detect_UnknownKeys_FailListingThem()
    {
        var b = FakeFastai.Build(new FakeSpec { Version = FakeVersion.V2 });
        b.Add("0.rnns.0.module.extra_thing", [1f], [1]);
        b.Add("2.something.weight", [1f], [1]);

        var e = Assert.Throws<CheckpointFormatException>(() => FastaiCheckpoint.From(b.Build()));
        Assert.Equal(CheckpointError.InvalidContent, e.Error);
        Assert.Contains("'v2-lm'", e.Message);
        Assert.Contains("2 unexpected keys: '0.rnns.0.module.extra_thing', '2.something.weight'", e.Message);
        Assert.Equal("memory.pth", e.FilePath);
    }

    [Fact]
    public void Detect_MissingRequiredKey_FailListingIt()
    {
        var b = FakeFastai.Build(new FakeSpec { Version = FakeVersion.V2 }).Remove("0.rnns.1.module.bias_hh_l0");

        var e = Assert.Throws<CheckpointFormatException>(() => FastaiCheckpoint.From(b.Build()));
        Assert.Equal(CheckpointError.InvalidContent, e.Error);
        Assert.Contains("1 missing key: '0.rnns.1.module.bias_hh_l0'", e.Message);
    }

    [Fact]
    public void Detect_ShapeContradictingConfig_FailNamingKeyAndShapes()
    {
        var b = FakeFastai.Build(new FakeSpec { Version = FakeVersion.V2, Emb = 6, NHid = 8 });
        b.Add("0.rnns.1.module.bias_ih_l0", new float[31], [31]);

        var e = Assert.Throws<CheckpointFormatException>(() => FastaiCheckpoint.From(b.Build()));
        Assert.Contains("'0.rnns.1.module.bias_ih_l0': shape [31]", e.Message);
        Assert.Contains("expected [32]", e.Message);
    }

    [Fact]
    public void Detect_FastaiLookingButUnplaceable_FailListingKeys()
    {
        var b = new CheckpointBuilder().Add("foo.weight_hh_l0_raw", [1f], [1]).Add("bar", [1f], [1]);

        var e = Assert.Throws<CheckpointFormatException>(() => FastaiCheckpoint.From(b.Build()));
        Assert.Equal(CheckpointError.InvalidContent, e.Error);
        Assert.Contains("'foo.weight_hh_l0_raw'", e.Message);
    }

    [Fact]
    public void Detect_EarlyV1ClassifierWithoutModulePrefix_RefusedWithReason()
    {
        // fastai v1 ≤ 1.0.42 (MultiBatchRNNCore): encoder keys under '0.' beside a flat '1.layers.' head.
        var b = FakeFastai.Build(new FakeSpec { Version = FakeVersion.V1, Kind = FakeKind.LanguageModel })
            .Remove("1.decoder.weight").Remove("1.decoder.bias")
            .Add("1.layers.0.weight", new float[18], [18]);

        var e = Assert.Throws<CheckpointFormatException>(() => FastaiCheckpoint.From(b.Build()));
        Assert.Equal(CheckpointError.InvalidContent, e.Error);
        Assert.Contains("1.0.42", e.Message);
    }

    [Fact]
    public void Detect_NotFastai_PassthroughKeepsNames()
    {
        var b = new CheckpointBuilder().Add("0.weight", [1f, 2f], [2]).Add("0.bias", [3f], [1]).Add("model.layer.weight", [4f], [1]);
        using var f = FastaiCheckpoint.From(b.Build());

        Assert.Equal(FastaiLayout.Passthrough, f.Layout);
        Assert.Null(f.Config);
        var plan = ConversionPlan.Create(f);
        Assert.Equal(["0.weight", "0.bias", "model.layer.weight"], plan.Tensors.Select(t => t.TargetName));
        Assert.Equal(plan.Tensors.Select(t => t.SourcePath), plan.Tensors.Select(t => t.TargetName));
        Assert.Empty(plan.Dropped);
        Assert.Throws<CheckpointFormatException>(() => AwdLstmWeights.FromPlan(plan));
    }

    [Fact]
    public void Detect_ForcedPassthroughOnFastai_KeepsEveryName()
    {
        var b = FakeFastai.Build(new FakeSpec { Version = FakeVersion.V1 });
        using var f = FastaiCheckpoint.From(b.Build(), new FastaiOptions { Layout = FastaiLayout.Passthrough });

        Assert.Equal(FastaiLayout.Passthrough, f.Layout);
        var plan = ConversionPlan.Create(f);
        Assert.Equal(b.Paths, plan.Tensors.Select(t => t.TargetName));
        Assert.Contains("forced", plan.Decisions[0].Details);
    }

    [Fact]
    public void Detect_ForcedWrongFastaiLayout_FailListingMismatch()
    {
        var b = FakeFastai.Build(new FakeSpec { Version = FakeVersion.V2 });

        var e = Assert.Throws<CheckpointFormatException>(() =>
            FastaiCheckpoint.From(b.Build(), new FastaiOptions { Layout = FastaiLayout.LanguageModelV1 }));
        Assert.Contains("3 missing keys: '0.rnns.0.module.weight_hh_l0', '0.rnns.1.module.weight_hh_l0', '0.rnns.2.module.weight_hh_l0'", e.Message);
    }

    [Fact]
    public void Detect_ForcedMatchingLayout_RecordedAsForced()
    {
        using var f = FakeFastai.Open(new FakeSpec { Version = FakeVersion.V2 }, new FastaiOptions { Layout = FastaiLayout.LanguageModelV2 });
        Assert.Equal(FastaiLayout.LanguageModelV2, f.Layout);
        Assert.StartsWith("layout forced to 'v2-lm'", f.Validate().Decisions[0].Details);
    }

    [Fact]
    public void Detect_CanonicalOutputNames_RecognisedWithSameConfig()
    {
        using var source = FakeFastai.Open(new FakeSpec { Version = FakeVersion.V1, Kind = FakeKind.Classifier, Bidir = true });
        var plan = ConversionPlan.Create(source);
        var b = new CheckpointBuilder();
        foreach (var t in plan.Tensors)
        {
            if (t.Source.DType == DType.Int64) b.AddInt64(t.TargetName, [3], []);
            else b.Add(t.TargetName, t.ToFloat32Array(), [.. t.Shape]);
        }
        using var canonical = FastaiCheckpoint.From(b.Build());

        Assert.Equal(FastaiLayout.Canonical, canonical.Layout);
        Assert.Equal(source.Config!.Model, canonical.Config!.Model);
        Assert.Equal(source.Config.HeadSizes, canonical.Config.HeadSizes);
        Assert.Equal(plan.Tensors.Select(t => t.TargetName), ConversionPlan.Create(canonical).Tensors.Select(t => t.TargetName));
    }

    [Fact]
    public void Layouts_Ids_RoundTrip()
    {
        foreach (var layout in Enum.GetValues<FastaiLayout>())
        {
            Assert.True(FastaiLayouts.TryParse(layout.Id(), out var parsed));
            Assert.Equal(layout, parsed);
        }
        Assert.False(FastaiLayouts.TryParse("v3-lm", out _));
    }
}
