using System.Security.Cryptography;
using WeightPort.Fastai;
using WeightPort.Tensors;
using Xunit;

namespace WeightPort.Tests.Fastai;

public sealed class FastaiManifestTests
{
    [Fact]
    public void Manifest_JsonRoundTrip_KeepsMappingsDropsDecisionsAndOutput()
    {
        using var f = FakeFastai.Open(new FakeSpec { Version = FakeVersion.V1, Kind = FakeKind.LanguageModel });
        var plan = f.CreatePlan(new ConversionOptions { TargetDType = DType.Float16 });
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
        var m = ConversionManifest.Create(f.CreatePlan(), new ManifestSource("x", 1, "00"));
        Assert.Null(ConversionManifest.FromJson(m.ToJson()).Config);
        Assert.Equal("passthrough", m.Layout);
    }
}
