using WeightPort.TorchSharp.Modules;
using WeightPort.TorchSharp.Tests.Support;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace WeightPort.TorchSharp.Tests.Interop;

/// <summary>
/// Every fixture that has a PyTorch reference (tools/make_reference.py, real torch 1.13): the TorchSharp module loaded
/// with FromPretrained computes, in eval mode, what PyTorch computed, within 1e-6.
/// </summary>
public sealed class ReferenceParityTests(ITestOutputHelper output)
{
    private const double Tolerance = 1e-6;

    private static List<string> Names() =>
        [.. Directory.GetFiles(Path.Combine(Repo.Fixtures, "references"), "*.ref.pt").Order(StringComparer.Ordinal).Select(f => Path.GetFileName(f)[..^".ref.pt".Length])];

    public static TheoryData<string> Fixtures() => [.. Names()];

    [Fact]
    public void References_CoverEveryLayoutFamily()
    {
        var names = Names();
        Assert.Equal(13, names.Count);
        foreach (var kind in new[] { "v07_lm", "v1_lm", "v2_lm", "v1_encoder", "v2_encoder", "v1_classifier", "v2_classifier", "bidir", "fp16", "wt103_mini" })
            Assert.Contains(names, n => n.Contains(kind, StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void EvalOutputs_MatchPyTorch(string fixture)
    {
        var reference = Reference.Load(Repo.Reference(fixture));
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        string path = Repo.Fixture(fixture);
        var tokens = reference["tokens"];
        if (reference.ContainsKey("class_logits"))
        {
            using var model = AwdLstmTextClassifier.FromPretrained(path);
            model.eval();
            Check("class_logits", model.forward(tokens), reference["class_logits"]);
        }
        else if (reference.ContainsKey("logits"))
        {
            using var model = AwdLstmLanguageModel.FromPretrained(path);
            model.eval();
            var hidden = model.Encoder.forward(tokens);
            Check("last_hidden", hidden, reference["last_hidden"]);
            model.ResetState();
            Check("logits", model.forward(tokens), reference["logits"]);
        }
        else
        {
            using var model = AwdLstmTextClassifier.FromEncoder(path, ClassifierHead.Default(2));
            model.eval();
            Check("last_hidden", model.Encoder.forward(tokens), reference["last_hidden"]);
        }
    }

    private void Check(string what, Tensor actual, Tensor expected)
    {
        double diff = Reference.MaxAbsDiff(actual, expected);
        output.WriteLine($"{what}: max abs diff {diff:E2} over {expected.numel()} values");
        Assert.True(diff <= Tolerance, $"{what}: max abs diff {diff:E3} > {Tolerance:E0}");
    }
}
