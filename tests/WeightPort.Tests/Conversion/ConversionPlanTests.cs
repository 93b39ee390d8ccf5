using WeightPort.Conversion;
using WeightPort.Fastai;
using WeightPort.Model;
using WeightPort.Tensors;
using WeightPort.Tests.Fastai;
using Xunit;

namespace WeightPort.Tests.Conversion;

public sealed class FastaiPlanTests
{
    [Fact]
    public void Plan_V1LanguageModel_CanonicalNamesInOrderFromRaw()
    {
        using var f = FakeFastai.Open(new FakeSpec { Version = FakeVersion.V1, Layers = 2 });
        var plan = ConversionPlan.Create(f);

        string[] expected =
        [
            "encoder.weight",
            "rnns.0.weight_ih_l0", "rnns.0.weight_hh_l0", "rnns.0.bias_ih_l0", "rnns.0.bias_hh_l0",
            "rnns.1.weight_ih_l0", "rnns.1.weight_hh_l0", "rnns.1.bias_ih_l0", "rnns.1.bias_hh_l0",
            "decoder.bias",
        ];
        Assert.Equal(expected, plan.Tensors.Select(t => t.TargetName));
        Assert.Equal("0.rnns.1.weight_hh_l0_raw", plan.Find("rnns.1.weight_hh_l0")!.SourcePath);
        Assert.Equal("0.rnns.1.module.weight_ih_l0", plan.Find("rnns.1.weight_ih_l0")!.SourcePath);
        Assert.Equal(
            ["0.encoder_dp.emb.weight", "0.rnns.0.module.weight_hh_l0", "0.rnns.1.module.weight_hh_l0", "1.decoder.weight"],
            plan.Dropped.Select(d => d.SourcePath).Order(StringComparer.Ordinal));
        Assert.All(plan.Tensors, t => Assert.Null(t.CastLossless));
        // Every source key is either written or dropped, exactly once.
        var accounted = plan.Tensors.Select(t => t.SourcePath).Concat(plan.Dropped.Select(d => d.SourcePath)).Order(StringComparer.Ordinal);
        Assert.Equal(f.Checkpoint.Tensors.Select(t => t.Path).Order(StringComparer.Ordinal), accounted);
    }

    [Fact]
    public void Plan_V2Classifier_HeadNamesAndNoDecoder()
    {
        using var f = FakeFastai.Open(new FakeSpec { Version = FakeVersion.V2, Kind = FakeKind.Classifier, Layers = 1 });
        var names = ConversionPlan.Create(f).Tensors.Select(t => t.TargetName).ToList();
        Assert.DoesNotContain(names, n => n.StartsWith("decoder", StringComparison.Ordinal));
        Assert.Equal(
            ["head.0.bn.weight", "head.0.bn.bias", "head.0.bn.running_mean", "head.0.bn.running_var", "head.0.bn.num_batches_tracked", "head.0.linear.weight",
             "head.1.bn.weight", "head.1.bn.bias", "head.1.bn.running_mean", "head.1.bn.running_var", "head.1.bn.num_batches_tracked", "head.1.linear.weight"],
            names.Where(n => n.StartsWith("head.", StringComparison.Ordinal)));
    }

    [Fact]
    public void Plan_CastToFloat16_LosslessForRepresentableValues()
    {
        using var f = FakeFastai.Open(new FakeSpec { Version = FakeVersion.V1, Kind = FakeKind.Classifier });
        var plan = ConversionPlan.Create(f, new ConversionOptions { TargetDType = DType.Float16, RequireLosslessCast = true });

        Assert.All(plan.Tensors.Where(t => t.Source.DType == DType.Float32), t =>
        {
            Assert.Equal(DType.Float16, t.OutputDType);
            Assert.True(t.CastLossless);
        });
        var counter = plan.Find("head.0.bn.num_batches_tracked")!;
        Assert.Equal(DType.Int64, counter.OutputDType);
        Assert.Null(counter.CastLossless);
        Assert.Contains(plan.Decisions, d => d.Kind == DecisionKind.Cast && d.Verdict == DecisionVerdict.Lossless);
    }

    [Fact]
    public void Plan_CastToFloat16_LossyTensorDetectedExactly()
    {
        var b = FakeFastai.Build(new FakeSpec { Version = FakeVersion.V2, Vocab = 12, Emb = 6 });
        var bias = FakeFastai.Values(5, 12);
        bias[4] = 0.1f; // not representable in float16
        b.Add("1.decoder.bias", bias, [12]);
        using var f = FastaiCheckpoint.From(b.Build());

        var plan = ConversionPlan.Create(f, new ConversionOptions { TargetDType = DType.Float16 });
        Assert.False(plan.Find("decoder.bias")!.CastLossless);
        Assert.True(plan.Find("encoder.weight")!.CastLossless);
        var d = Assert.Single(plan.Decisions, x => x.Verdict == DecisionVerdict.Lossy);
        Assert.Equal(DecisionSeverity.Warning, d.Severity);
        Assert.Contains("changes 1 of 12 values", d.Details);
        Assert.Contains("first at [4]", d.Details);

        var e = Assert.Throws<CheckpointFormatException>(() => ConversionPlan.Create(f, new ConversionOptions { TargetDType = DType.Float16, RequireLosslessCast = true }));
        Assert.Contains("'1.decoder.bias'", e.Message);
    }

    [Fact]
    public void Plan_CastToBFloat16_NineBitValuesAreLossy()
    {
        using var f = FakeFastai.Open(new FakeSpec());
        var plan = ConversionPlan.Create(f, new ConversionOptions { TargetDType = DType.BFloat16 });
        var emb = plan.Find("encoder.weight")!;
        Assert.False(emb.CastLossless);
        var src = emb.Source.ToFloat32Array();
        int changed = src.Count(v => BitConverter.Int32BitsToSingle(ElementConversion.ToBFloat16(v) << 16) != v);
        Assert.True(changed > 0);
        Assert.Contains($"changes {changed} of {src.Length} values", plan.Decisions.First(d => d.Keys.Contains("0.encoder.weight") && d.Kind == DecisionKind.Cast).Details);
    }

    [Fact]
    public void Plan_Float16SourceToFloat32_LosslessAndBytesMatch()
    {
        using var f = FakeFastai.Open(new FakeSpec { Version = FakeVersion.V1, DType = DType.Float16 });
        var plan = ConversionPlan.Create(f, new ConversionOptions { TargetDType = DType.Float32 });
        var t = plan.Find("rnns.0.weight_ih_l0")!;
        Assert.True(t.CastLossless);
        var bytes = t.ToOutputBytes();
        Assert.Equal(t.OutputByteCount, bytes.Length);
        var expected = t.Source.ToFloat32Array();
        var actual = new float[expected.Length];
        Buffer.BlockCopy(bytes, 0, actual, 0, bytes.Length);
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void Plan_WriteToFloat16_MatchesElementConversion()
    {
        using var f = FakeFastai.Open(new FakeSpec());
        var t = ConversionPlan.Create(f, new ConversionOptions { TargetDType = DType.Float16 }).Find("encoder.weight")!;
        var expected = new byte[t.Source.ElementCount * 2];
        ElementConversion.FromFloat32(t.Source.ToFloat32Array(), DType.Float16, expected);
        Assert.Equal(expected, t.ToOutputBytes());
    }

    [Fact]
    public void Plan_UnsupportedTargetDType_ArgumentException()
    {
        using var f = FakeFastai.Open(new FakeSpec());
        Assert.Throws<ArgumentException>(() => ConversionPlan.Create(f, new ConversionOptions { TargetDType = DType.Int32 }));
    }

    [Fact]
    public void Plan_SharedFlatStorageViews_ReadAtTheirOffsets()
    {
        // cuDNN flatten_parameters: one layer's four tensors are views of one flat storage.
        var spec = new FakeSpec { Version = FakeVersion.V1, Layers = 1, Emb = 4 };
        var b = FakeFastai.Build(spec);
        long ih = 16 * 4, hh = 16 * 4, bias = 16;
        var flat = FakeFastai.Values(77, ih + hh + 2 * bias);
        b.AddHiddenStorage("flat", flat);
        b.AddView("0.rnns.0.weight_hh_l0_raw", "flat", ih, [16, 4]);
        b.AddView("0.rnns.0.module.weight_ih_l0", "flat", 0, [16, 4]);
        b.AddSameView("0.rnns.0.module.weight_hh_l0", "0.rnns.0.weight_hh_l0_raw");
        b.AddView("0.rnns.0.module.bias_ih_l0", "flat", ih + hh, [16]);
        b.AddView("0.rnns.0.module.bias_hh_l0", "flat", ih + hh + bias, [16]);
        using var f = FastaiCheckpoint.From(b.Build());

        var w = AwdLstmWeights.FromPlan(ConversionPlan.Create(f));
        Assert.Equal(flat.AsSpan((int)ih, (int)hh).ToArray(), w.Layers[0][0].WeightHh.ToArray());
        Assert.Equal(flat.AsSpan((int)(ih + hh + bias), (int)bias).ToArray(), w.Layers[0][0].BiasHh.ToArray());
    }

    [Fact]
    public void ToAwdLstmWeights_BidirectionalLm_AllDirectionsAndTiedDecoder()
    {
        using var f = FakeFastai.Open(new FakeSpec { Version = FakeVersion.V2, Bidir = true, Vocab = 9, Emb = 6, NHid = 10 });
        var plan = ConversionPlan.Create(f);
        var w = AwdLstmWeights.FromPlan(plan);

        Assert.Equal(f.Config!.Model, w.Config);
        Assert.Equal(3, w.Layers.Count);
        Assert.All(w.Layers, l => Assert.Equal(2, l.Count));
        Assert.Equal(4 * 5 * 10, w.Layers[1][1].WeightIh.Length);
        Assert.Equal(plan.Find("rnns.2.weight_hh_l0_reverse")!.Source.ToFloat32Array(), w.Layers[2][1].WeightHh.ToArray());
        Assert.Equal(plan.Find("encoder.weight")!.Source.ToFloat32Array(), w.Embedding.ToArray());
        Assert.Equal(w.Embedding.ToArray(), w.EffectiveDecoderWeight.ToArray());
        Assert.Equal(9, w.DecoderBias!.Value.Length);
        Assert.Null(w.ClassifierHead);
    }

    [Theory]
    [InlineData(FakeVersion.V1, true)]
    [InlineData(FakeVersion.V2, false)]
    public void ToAwdLstmWeights_Classifier_HeadBlocks(FakeVersion version, bool linearBias)
    {
        using var f = FakeFastai.Open(new FakeSpec { Version = version, Kind = FakeKind.Classifier, Emb = 6, LinFtrs = [5], Classes = 3 });
        var plan = ConversionPlan.Create(f);
        var w = AwdLstmWeights.FromPlan(plan);

        Assert.False(w.HasDecoder);
        Assert.Null(w.DecoderBias);
        Assert.Equal(2, w.ClassifierHead!.Count);
        Assert.Equal((18, 5), (w.ClassifierHead[0].InFeatures, w.ClassifierHead[0].OutFeatures));
        Assert.Equal((5, 3), (w.ClassifierHead[1].InFeatures, w.ClassifierHead[1].OutFeatures));
        Assert.Equal(linearBias, w.ClassifierHead[1].LinearBias is not null);
        Assert.Equal(plan.Find("head.1.bn.running_var")!.Source.ToFloat32Array(), w.ClassifierHead[1].RunningVar.ToArray());
    }

    [Fact]
    public void ToAwdLstmWeights_Float16Cast_ValuesAsWritten()
    {
        var b = FakeFastai.Build(new FakeSpec { Vocab = 12, Emb = 6 });
        var bias = FakeFastai.Values(5, 12);
        bias[0] = 0.1f;
        b.Add("1.decoder.bias", bias, [12]);
        using var f = FastaiCheckpoint.From(b.Build());
        var w = AwdLstmWeights.FromPlan(ConversionPlan.Create(f, new ConversionOptions { TargetDType = DType.Float16 }));
        Assert.Equal((float)(Half)0.1f, w.DecoderBias!.Value.Span[0]);
    }

    [Fact]
    public void Vocabulary_LengthMatches_Accepted()
    {
        using var f = FakeFastai.Open(new FakeSpec { Vocab = 4 });
        var plan = ConversionPlan.Create(f, new ConversionOptions { Vocabulary = ["xxunk", "xxpad", "xxbos", "the"] });
        var d = Assert.Single(plan.Decisions, x => x.Kind == DecisionKind.Vocabulary);
        Assert.Contains("4 entries match the 4 embedding rows", d.Details);
        Assert.Contains("'xxpad'", d.Details);
    }

    [Fact]
    public void Vocabulary_LengthDiffers_Refused()
    {
        using var f = FakeFastai.Open(new FakeSpec { Vocab = 4 });
        var e = Assert.Throws<CheckpointFormatException>(() => f.CheckVocabulary(["a", "b", "c"]));
        Assert.Equal(CheckpointError.InvalidContent, e.Error);
        Assert.Contains("the vocabulary has 3 entries but the embedding '0.encoder.weight' has 4 rows", e.Message);
    }
}
