using System.Text.Json;
using WeightPort.Conversion;
using WeightPort.Fastai;
using WeightPort.Model;
using WeightPort.Tensors;
using WeightPort.Tests.Infrastructure;
using Xunit;

namespace WeightPort.Tests.Fastai;

/// <summary>
/// fastai recognition and validation over the PyTorch-written fixtures (<c>fixtures/*.pth</c>, <c>*.h5</c> +
/// <c>fixtures/fixtures.json</c>, made by tools/make_fixtures.py). A missing fixtures.json is a failure.
/// Layout names in fixtures.json are "fastai-" + <see cref="FastaiLayouts.Id"/>.
/// </summary>
[Trait("Category", "FastaiFixtures")]
public sealed class FastaiFixtureTests
{
    private static string ManifestPath => Path.Combine(TestPaths.Fixtures, "fixtures.json");
    private static string LargeManifestPath => Path.Combine(TestPaths.Fixtures, "large", "large.json");

    public static TheoryData<string> FixtureNames() => Names(ManifestPath, "<fixtures.json missing>");

    public static TheoryData<string> LargeFixtureNames() => Names(LargeManifestPath, "<large.json missing>");

    private static TheoryData<string> Names(string manifest, string sentinel)
    {
        var data = new TheoryData<string>();
        if (!File.Exists(manifest))
        {
            data.Add(sentinel);
            return data;
        }
        using var doc = JsonDocument.Parse(File.ReadAllText(manifest));
        foreach (var p in doc.RootElement.EnumerateObject())
        {
            if (p.Value.TryGetProperty("layout", out var l) && l.GetString() != "fastai-itos" && p.Value.GetProperty("format").GetString() != "pickle")
                data.Add(p.Name);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(FixtureNames))]
    public void Fixture_OpenAndPlan_MatchesFixturesJson(string name)
    {
        Assert.True(File.Exists(ManifestPath), $"fixtures.json not found at {ManifestPath}");
        Check(ManifestPath, name);
    }

    /// <summary>WT103-sized fixtures (60,000 × 400, n_hid 1152; 177–222 MB): generated locally by tools/make_fixtures.py, not committed.</summary>
    [SkippableTheory]
    [MemberData(nameof(LargeFixtureNames))]
    public void LargeFixture_OpenValidatePlan_MatchesLargeJson(string name)
    {
        Skip.IfNot(File.Exists(LargeManifestPath), "fixtures/large is generated locally (tools/make_fixtures.py), not committed");
        Check(LargeManifestPath, name);
    }

    private static void Check(string manifestPath, string name)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(manifestPath));
        var entry = doc.RootElement.GetProperty(name);
        string layoutName = entry.GetProperty("layout").GetString()!;
        var cfg = entry.TryGetProperty("config", out var c) ? c : default;
        bool negative = entry.TryGetProperty("negative", out var neg) && neg.GetBoolean();
        var shas = new Dictionary<string, string>(StringComparer.Ordinal);
        FixtureManifest.FlattenTensors(entry.GetProperty("value"), shas);

        using var f = FastaiCheckpoint.Open(Path.Combine(TestPaths.Fixtures, name));

        if (!layoutName.StartsWith("fastai-", StringComparison.Ordinal))
        {
            Assert.Equal(FastaiLayout.Passthrough, f.Layout);
            var pass = ConversionPlan.Create(f);
            Assert.Equal(shas.Keys.Order(StringComparer.Ordinal), pass.Tensors.Select(t => t.TargetName).Order(StringComparer.Ordinal));
            return;
        }

        Assert.Equal(layoutName["fastai-".Length..], f.Layout.Id());
        var config = f.Config!;
        Assert.Equal(cfg.GetProperty("vocab").GetInt32(), config.Model.VocabSize);
        Assert.Equal(cfg.GetProperty("emb_sz").GetInt32(), config.Model.EmbSize);
        Assert.Equal(cfg.GetProperty("n_hid").GetInt32(), config.Model.HiddenSize);
        Assert.Equal(cfg.GetProperty("n_layers").GetInt32(), config.Model.Layers);
        Assert.Equal(cfg.GetProperty("bidir").GetBoolean(), config.Model.Bidirectional);
        if (cfg.GetProperty("tied").ValueKind != JsonValueKind.Null) Assert.Equal(cfg.GetProperty("tied").GetBoolean(), config.Tied);
        else Assert.False(config.HasDecoder);
        if (cfg.GetProperty("out_bias").ValueKind != JsonValueKind.Null) Assert.Equal(cfg.GetProperty("out_bias").GetBoolean(), config.DecoderBias);
        if (cfg.TryGetProperty("head_dims", out var dims)) Assert.Equal(dims.EnumerateArray().Select(d => d.GetInt32()), config.HeadSizes);
        if (cfg.TryGetProperty("head_linear_bias", out var hb)) Assert.Equal(hb.GetBoolean(), config.HeadLinearBias);
        Assert.Equal(cfg.TryGetProperty("dtype", out var dt) ? dt.GetString() : "float32", config.DType.TorchName());
        Assert.Equal(entry.GetProperty("container").GetString() == "model+opt", f.IsWrapped);

        var report = f.Validate();
        if (negative)
        {
            var mismatch = entry.GetProperty("alias_mismatch");
            var err = Assert.Single(report.Errors);
            Assert.Equal(DecisionKind.EmbeddingCopy, err.Kind);
            long total = config.Model.VocabSize * (long)config.Model.EmbSize;
            Assert.Contains($"{mismatch.GetProperty("differing_count").GetInt32()} of {total:N0} elements differ", err.Details);
            Assert.Contains($"largest absolute difference {mismatch.GetProperty("max_abs_diff").GetDouble():G9},", err.Details);
            var pos = mismatch.GetProperty("differing_positions")[0].EnumerateArray().Select(x => x.GetInt64());
            Assert.Contains($"first at [{string.Join(", ", pos)}] (flat {mismatch.GetProperty("first_differing_flat_index").GetInt64()})", err.Details);
            Assert.Throws<CheckpointFormatException>(() => ConversionPlan.Create(f));
            return;
        }
        Assert.True(report.IsValid, string.Join("\n", report.Errors));
        if (entry.TryGetProperty("masked_layers", out var masked))
        {
            double p = entry.GetProperty("dropout_p").GetDouble();
            foreach (var layer in masked.EnumerateArray())
            {
                int l = layer.GetProperty("layer").GetInt32();
                var d = Assert.Single(report.Decisions, x => x.Kind == DecisionKind.RecurrentCopy && x.Details.StartsWith($"layer {l}:", StringComparison.Ordinal));
                Assert.Equal(DecisionVerdict.DroppedMasked, d.Verdict);
                Assert.Contains($"p = {p:G6}", d.Details);
                Assert.Contains($"{layer.GetProperty("zeros").GetInt32():N0} of {layer.GetProperty("numel").GetInt32():N0} elements zeroed", d.Details);
            }
        }

        var plan = ConversionPlan.Create(f);
        // Every written tensor has exactly the bytes PyTorch reported for its source key; nothing is unaccounted for.
        foreach (var t in plan.Tensors) Assert.Equal(shas[t.SourcePath], t.Source.Sha256Hex());
        Assert.All(plan.Tensors.Where(t => t.TargetName.StartsWith("rnns.", StringComparison.Ordinal) && t.TargetName.EndsWith("weight_hh_l0", StringComparison.Ordinal)),
            t => Assert.EndsWith("weight_hh_l0_raw", t.SourcePath));
        var accounted = plan.Tensors.Select(t => t.SourcePath).Concat(plan.Dropped.Select(d => d.SourcePath)).ToHashSet(StringComparer.Ordinal);
        Assert.All(f.Checkpoint.Tensors.Where(t => !t.Path.StartsWith("opt.", StringComparison.Ordinal)), t => Assert.Contains(t.Path, accounted));
        var weights = AwdLstmWeights.FromPlan(plan);
        Assert.Equal(config.Model, weights.Config);
        if (cfg.TryGetProperty("fp16_representable", out var fp16) && fp16.GetBoolean())
            Assert.All(ConversionPlan.Create(f, new ConversionOptions { TargetDType = DType.Float16 }).Tensors, t => Assert.True(t.CastLossless, t.SourcePath));
    }
}
