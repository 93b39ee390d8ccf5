using WeightPort.TorchSharp.Modules;
using WeightPort.TorchSharp.Tests.Support;

namespace WeightPort.TorchSharp.Tests.Interop;

/// <summary>FromPretrained reads convert's other outputs: --write-tied-decoder (decoder.weight listed too) and safetensors.</summary>
[Trait("Category", "Slow")]
public sealed class ConvertedFormatTests
{
    [Theory]
    [InlineData("--write-tied-decoder")]
    [InlineData("--format", "safetensors")]
    [InlineData("--format", "pth")]
    public void ConvertedOutput_LoadsAsTheOriginal(params string[] options)
    {
        using var temp = Repo.Temp();
        string output = temp.File("model.out");
        var (code, stdout, err) = Processes.WeightPort(["convert", Repo.Fixture("wt103_mini_fwd.pth"), "-o", output, .. options]);
        Assert.True(code == 0, err + stdout);
        using var original = AwdLstmLanguageModel.FromPretrained(Repo.Fixture("wt103_mini_fwd.pth"));
        using var converted = AwdLstmLanguageModel.FromPretrained(output);
        Assert.True(converted.Decoder.IsTied);
        var expected = original.state_dict();
        var actual = converted.state_dict();
        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), actual.Keys.Order(StringComparer.Ordinal));
        foreach (var (name, t) in actual) Assert.True(t.eq(expected[name]).all().item<bool>(), name);
    }

    [Fact]
    public void WriteTiedDecoder_WithADifferentCopy_IsReadAsUntied()
    {
        // A decoder.weight that differs from the embedding is not a tied copy: the module gets its own decoder matrix.
        using var temp = Repo.Temp();
        using var lm = new AwdLstmLanguageModel(new AwdLstmArchitecture(30, 8, 12, 2), tied: false);
        string path = temp.File("untied.dat");
        lm.save(path);
        using var loaded = AwdLstmLanguageModel.FromPretrained(path);
        Assert.False(loaded.Decoder.IsTied);
        Assert.True(loaded.Decoder.Weight.eq(lm.Decoder.Weight).all().item<bool>());
    }
}
