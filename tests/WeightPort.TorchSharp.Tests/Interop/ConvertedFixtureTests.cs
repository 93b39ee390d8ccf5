using System.Text.Json;
using WeightPort.TorchSharp.Modules;
using WeightPort.TorchSharp.Tests.Support;
using static TorchSharp.torch;

namespace WeightPort.TorchSharp.Tests.Interop;

/// <summary>
/// Every fastai fixture, converted by the real CLI with its defaults, loads with TorchSharp's own strict
/// <c>Module.load</c> into the module built from the manifest's configuration, and holds what FromPretrained reads
/// from the original file.
/// </summary>
[Trait("Category", "Slow")]
public sealed class ConvertedFixtureTests
{
    public static TheoryData<string> Fixtures() => [.. Names()];

    private static List<string> Names()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Repo.Fixtures, "fixtures.json")));
        var names = doc.RootElement.EnumerateObject()
            .Where(p => p.Value.GetProperty("layout").GetString()!.StartsWith("fastai-", StringComparison.Ordinal) &&
                        p.Value.GetProperty("layout").GetString() != "fastai-itos" && !p.Name.Contains("alias_mismatch", StringComparison.Ordinal))
            .Select(p => p.Name).Order(StringComparer.Ordinal);
        return [.. names];
    }

    [Fact]
    public void Fixtures_AreAllFastaiLayouts()
    {
        var names = Names();
        Assert.True(names.Count >= 36, $"{names.Count} fixtures");
        Assert.Contains("wt103_mini_fwd.pth", names);
        Assert.Contains("fastai_v1_classifier_fp16.legacy.pth", names);
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void DefaultOutput_LoadsStrictly(string fixture)
    {
        using var temp = Repo.Temp();
        string output = temp.File("model.dat");
        var (code, _, err) = Processes.WeightPort("convert", Repo.Fixture(fixture), "-o", output);
        Assert.True(code == 0, err);
        using var model = ModelFactory.FromManifest(output + ".manifest.json");
        model.load(output, strict: true);

        using var reference = Expected(fixture);
        using var scope = NewDisposeScope();
        var expected = reference.state_dict();
        var actual = model.state_dict();
        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), actual.Keys.Order(StringComparer.Ordinal));
        foreach (var (name, t) in actual)
        {
            var e = expected[name].to_type(t.dtype);
            Assert.True(t.eq(e).all().item<bool>(), $"{name} differs from FromPretrained's");
        }
    }

    private static nn.Module Expected(string fixture)
    {
        string path = Repo.Fixture(fixture);
        if (fixture.Contains("classifier", StringComparison.Ordinal)) return AwdLstmTextClassifier.FromPretrained(path);
        if (fixture.Contains("encoder", StringComparison.Ordinal)) return AwdLstmTextClassifier.FromEncoder(path, ClassifierHead.Default(2)).Encoder;
        return AwdLstmLanguageModel.FromPretrained(path);
    }
}
