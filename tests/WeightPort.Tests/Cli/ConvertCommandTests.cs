using System.Text.Json;
using WeightPort.Tests.Infrastructure;
using Xunit;

namespace WeightPort.Tests.Cli;

public sealed class ConvertCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("wp-cli-convert-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string Fixture(string name) => Path.Combine(TestPaths.Fixtures, name);

    [Fact]
    public void Convert_BundledMiniWt103_WritesWeightsManifestAndVocabulary()
    {
        string output = Path.Combine(_dir, "lm.dat");
        var r = CliRunner.Run("convert", Fixture("wt103_mini_fwd.pth"), "--vocab", Fixture("wt103_mini_itos.pkl"), "-o", output);
        Assert.True(r.ExitCode == 0, r.Error);
        Assert.Contains("v1-lm", r.Out);
        Assert.Contains("DroppedSameView", r.Out);
        Assert.Contains("0.rnns.0.module.weight_hh_l0", r.Out);
        Assert.True(File.Exists(output));
        Assert.True(File.Exists(output + ".manifest.json"));
        var vocab = JsonSerializer.Deserialize<string[]>(File.ReadAllText(output + ".vocab.json"))!;
        Assert.Equal(200, vocab.Length);
        Assert.Equal("xxpad", vocab[1]);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Convert_ForcedRunWithoutVocabOverAnEarlierConversion_KeepsItsVocabularyAndMarksItStale(bool json)
    {
        string output = Path.Combine(_dir, "lm.dat");
        Assert.Equal(0, CliRunner.Run("convert", Fixture("wt103_mini_fwd.pth"), "--vocab", Fixture("wt103_mini_itos.pkl"), "-o", output).ExitCode);
        string vocabulary = output + ".vocab.json";
        byte[] before = File.ReadAllBytes(vocabulary);
        using (var manifest = JsonDocument.Parse(File.ReadAllText(output + ".manifest.json")))
        {
            var recorded = manifest.RootElement.GetProperty("vocabulary");
            Assert.Equal(200, recorded.GetProperty("entries").GetInt32());
            Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(before)), recorded.GetProperty("sha256").GetString());
        }

        // The user never named the vocabulary file this time: it stays, and both the report and the manifest say it is stale.
        var r = CliRunner.Run(["convert", Fixture("wt103_mini_fwd.pth"), "-o", output, "--force", .. (json ? new[] { "--json" } : [])]);
        Assert.True(r.ExitCode == 0, r.Error);
        Assert.Equal(before, File.ReadAllBytes(vocabulary));
        if (json)
        {
            using var report = JsonDocument.Parse(r.Out);
            Assert.Equal(vocabulary, report.RootElement.GetProperty("stale_vocabulary").GetString());
            Assert.Contains("kept", report.RootElement.GetProperty("notices")[0].GetString());
        }
        else Assert.Contains($"kept {vocabulary}", r.Out);
        using var after = JsonDocument.Parse(File.ReadAllText(output + ".manifest.json"));
        Assert.Equal(JsonValueKind.Null, after.RootElement.GetProperty("vocabulary").ValueKind);
        var stale = after.RootElement.GetProperty("stale_vocabulary");
        Assert.Equal(vocabulary, stale.GetProperty("path").GetString());
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(before)), stale.GetProperty("sha256").GetString());
    }

    [Fact]
    public void Convert_ExistingOutputWithoutForce_RefusesAndLeavesItAlone()
    {
        string output = Path.Combine(_dir, "lm.dat");
        File.WriteAllText(output, "precious");
        var r = CliRunner.Run("convert", Fixture("fastai_v2_lm.zip.pth"), "-o", output);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--force", r.Error);
        Assert.Equal("precious", File.ReadAllText(output));
        var forced = CliRunner.Run("convert", Fixture("fastai_v2_lm.zip.pth"), "-o", output, "--force");
        Assert.Equal(0, forced.ExitCode);
        Assert.NotEqual("precious", File.ReadAllText(output));
    }

    [Fact]
    public void Convert_DryRun_WritesNothing()
    {
        string output = Path.Combine(_dir, "lm.dat");
        var r = CliRunner.Run("convert", Fixture("fastai_v2_lm.zip.pth"), "-o", output, "--dry-run");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("dry run", r.Out);
        Assert.Empty(Directory.GetFiles(_dir));
    }

    [Fact]
    public void Convert_AliasMismatch_IsBadInputWithTheNumbers()
    {
        var r = CliRunner.Run("convert", Fixture("fastai_v2_lm_alias_mismatch.zip.pth"), "-o", Path.Combine(_dir, "x.dat"));
        Assert.Equal(3, r.ExitCode);
        Assert.Contains("3 of 600 elements differ", r.Error);
        Assert.Contains("largest absolute difference 0.5", r.Error);
        Assert.Contains("fastai_v2_lm_alias_mismatch.zip.pth", r.Error);
        Assert.Empty(Directory.GetFiles(_dir));
    }

    [Fact]
    public void Convert_AliasMismatchWithOverride_WarnsLoudly()
    {
        var r = CliRunner.Run("convert", Fixture("fastai_v2_lm_alias_mismatch.zip.pth"), "-o", Path.Combine(_dir, "x.dat"), "--allow-embedding-mismatch");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("WARN", r.Out);
    }

    [Fact]
    public void Convert_Float16OfFp16RepresentableWeights_IsLossless()
    {
        var r = CliRunner.Run("convert", Fixture("wt103_mini_fwd.pth"), "-o", Path.Combine(_dir, "h.dat"), "--dtype", "float16", "--require-lossless", "--json");
        Assert.True(r.ExitCode == 0, r.Error);
        using var doc = JsonDocument.Parse(r.Out);
        Assert.All(doc.RootElement.GetProperty("mappings").EnumerateArray(), m => Assert.True(m.GetProperty("cast_lossless").GetBoolean()));
    }

    [Fact]
    public void Convert_Float16OfRandomWeights_RequireLosslessFails()
    {
        var r = CliRunner.Run("convert", Fixture("fastai_v2_lm.zip.pth"), "-o", Path.Combine(_dir, "h.dat"), "--dtype", "float16", "--require-lossless");
        Assert.Equal(3, r.ExitCode);
        Assert.Empty(Directory.GetFiles(_dir));
    }

    [Fact]
    public void Convert_Json_IsParseableAndCountsKeys()
    {
        var r = CliRunner.Run("convert", Fixture("fastai_v1_lm.legacy.pth"), "-o", Path.Combine(_dir, "lm.safetensors"), "--format", "safetensors", "--json");
        Assert.Equal(0, r.ExitCode);
        using var doc = JsonDocument.Parse(r.Out);
        var totals = doc.RootElement.GetProperty("totals");
        Assert.Equal(19, totals.GetProperty("input_keys").GetInt32());
        Assert.Equal(14, totals.GetProperty("output_keys").GetInt32());
        Assert.Equal("v1-lm", doc.RootElement.GetProperty("layout").GetString());
    }

    [Fact]
    public void Convert_UnknownLayout_IsUsageError()
    {
        var r = CliRunner.Run("convert", Fixture("fastai_v2_lm.zip.pth"), "--layout", "v9-lm");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("v2-lm", r.Error);
    }
}
