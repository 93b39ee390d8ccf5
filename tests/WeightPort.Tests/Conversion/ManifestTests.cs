using System.Security.Cryptography;
using WeightPort.Conversion;
using WeightPort.Fastai;
using WeightPort.Tensors;
using WeightPort.Tests.Fastai;
using Xunit;

namespace WeightPort.Tests.Conversion;

public sealed class FastaiManifestTests
{
    [Fact]
    public void Manifest_JsonRoundTrip_KeepsMappingsDropsDecisionsAndOutput()
    {
        using var f = FakeFastai.Open(new FakeSpec { Version = FakeVersion.V1, Kind = FakeKind.LanguageModel });
        var plan = ConversionPlan.Create(f, new ConversionOptions { TargetDType = DType.Float16 });
        string dir = Directory.CreateTempSubdirectory("wp-manifest").FullName;
        try
        {
            string src = Path.Combine(dir, "src.pth"), outPath = Path.Combine(dir, "out.safetensors");
            File.WriteAllBytes(src, [1, 2, 3, 4, 5]);
            File.WriteAllBytes(outPath, [9, 8, 7]);
            var manifest = ConversionManifest.Create(plan, ManifestSource.FromFile(src)) with
            {
                Output = ManifestOutput.FromFile(outPath, "safetensors"),
            };

            string json = manifest.ToJson();
            var back = ConversionManifest.FromJson(json);

            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(new byte[] { 1, 2, 3, 4, 5 })), back.Source.Sha256);
            Assert.Equal(5, back.Source.Size);
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(new byte[] { 9, 8, 7 })), back.Output!.Sha256);
            Assert.Equal("safetensors", back.Output.Format);
            Assert.Equal("v1-lm", back.Layout);
            Assert.Equal(plan.Tensors.Count, back.Mappings.Count);
            var hh = back.Mappings.Single(m => m.Target == "rnns.0.weight_hh_l0");
            Assert.Equal("0.rnns.0.weight_hh_l0_raw", hh.Source);
            Assert.Equal("float32", hh.SourceDType);
            Assert.Equal("float16", hh.TargetDType);
            Assert.True(hh.Lossless);
            Assert.Equal(plan.Dropped.Count, back.Drops.Count);
            Assert.Equal(plan.Decisions.Count, back.Decisions.Count);
            Assert.True(back.Config!.Tied);
            Assert.Equal(12, back.Config.VocabSize);
            Assert.Contains("\"layout\": \"v1-lm\"", json);
            Assert.Contains("\"source_dtype\"", json);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void Manifest_Passthrough_NullConfig()
    {
        var b = new CheckpointBuilder().Add("w", [1f], [1]);
        using var f = FastaiCheckpoint.From(b.Build());
        var m = ConversionManifest.Create(ConversionPlan.Create(f), new ManifestSource("x", 1, "00"));
        Assert.Null(ConversionManifest.FromJson(m.ToJson()).Config);
        Assert.Equal("passthrough", m.Layout);
    }

    public static TheoryData<string> ManifestShapes() => ["lm-cast", "classifier-v1", "bidir-v07-untied", "encoder", "passthrough", "odd-text"];

    [Theory]
    [MemberData(nameof(ManifestShapes))]
    public void ToJson_ThenFromJson_GivesTheSameJson(string shape)
    {
        ConversionManifest manifest;
        if (shape == "passthrough")
        {
            using var f = FastaiCheckpoint.From(new CheckpointBuilder().Add("w", [1f], [1]).Build());
            manifest = ConversionManifest.Create(ConversionPlan.Create(f), new ManifestSource("x", 1, "00"));
        }
        else
        {
            var spec = shape switch
            {
                "lm-cast" or "odd-text" => new FakeSpec { Version = FakeVersion.V1 },
                "classifier-v1" => new FakeSpec { Version = FakeVersion.V1, Kind = FakeKind.Classifier, LinFtrs = [5, 4] },
                "bidir-v07-untied" => new FakeSpec { Version = FakeVersion.V07, Bidir = true, Untied = true, SharedStorage = false },
                _ => new FakeSpec { Kind = FakeKind.Encoder },
            };
            using var f = FakeFastai.Open(spec);
            var options = shape == "lm-cast" ? new ConversionOptions { TargetDType = DType.BFloat16 } : new ConversionOptions();
            manifest = ConversionManifest.Create(ConversionPlan.Create(f, options), new ManifestSource("/tmp/src.pth", 123_456_789_012, new string('a', 64)));
            if (shape != "encoder")
                manifest = manifest with { Output = new ManifestOutput("/tmp/out.dat", "torchsharp", 42, new string('b', 64)) };
            if (shape == "odd-text")
            {
                // Characters the default encoder escapes: HTML-sensitive ASCII, non-ASCII, a surrogate pair and controls.
                manifest = manifest with
                {
                    Source = new ManifestSource("/tmp/<a&b>'+\"é🙂\t\u0001.pth", 1, "00"),
                    Vocabulary = new ManifestVocabulary("/tmp/out.dat.vocab.json", 60_000, new string('c', 64)),
                    Drops = [.. manifest.Drops, new ManifestDrop("x", "line1\nline2 \u2028")],
                };
            }
        }

        string json = manifest.ToJson();
        Assert.Equal(json, ConversionManifest.FromJson(json).ToJson());
        Assert.Contains("\"manifest_version\"", json, StringComparison.Ordinal);
    }
}
