using System.Text.Json;
using WeightPort.TorchSharp.Tests.Support;

namespace WeightPort.TorchSharp.Tests.Interop;

/// <summary>After <c>convert --dtype</c>, the manifest and <c>--json</c> report the dtype that was written.</summary>
[Trait("Category", "Slow")]
public sealed class DTypeReportTests
{
    [Theory]
    [InlineData("fastai_v1_classifier_fp16.zip.pth", "float32")]
    [InlineData("fastai_v1_lm_fp16.legacy.pth", "float32")]
    [InlineData("wt103_mini_fwd.pth", "float16")]
    [InlineData("wt103_mini_fwd.pth", "bfloat16")]
    public void Cast_IsReportedAsTheOutputDType(string fixture, string dtype)
    {
        using var temp = Repo.Temp();
        string output = temp.File("model.dat");
        var (code, stdout, err) = Processes.WeightPort("convert", Repo.Fixture(fixture), "-o", output, "--dtype", dtype, "--json");
        Assert.True(code == 0, err + stdout);
        using var json = JsonDocument.Parse(stdout);
        Assert.Equal(dtype, json.RootElement.GetProperty("config").GetProperty("dtype").GetString());
        using var manifest = JsonDocument.Parse(File.ReadAllText(output + ".manifest.json"));
        Assert.Equal(dtype, manifest.RootElement.GetProperty("config").GetProperty("dtype").GetString());
        Assert.All(manifest.RootElement.GetProperty("mappings").EnumerateArray()
                .Where(m => m.GetProperty("target").GetString()!.EndsWith("num_batches_tracked", StringComparison.Ordinal) == false),
            m => Assert.Equal(dtype, m.GetProperty("target_dtype").GetString()));
    }

    [Fact]
    public void Fp16Classifier_CastToFloat32_LoadsStrictlyIntoTheModuleItsManifestDescribes()
    {
        using var temp = Repo.Temp();
        string output = temp.File("model.dat");
        var (code, stdout, err) = Processes.WeightPort("convert", Repo.Fixture("fastai_v1_classifier_fp16.legacy.pth"), "-o", output, "--dtype", "float32");
        Assert.True(code == 0, err + stdout);
        using var model = ModelFactory.FromManifest(output + ".manifest.json");
        model.load(output, strict: true);
    }
}
