using System.Globalization;
using System.Text.Json;
using global::Ulmfit;
using WeightPort.TorchSharp.Modules;
using WeightPort.TorchSharp.Tests.Support;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace WeightPort.TorchSharp.Tests.Ulmfit;

/// <summary>
/// The ULMFiT sample's outcome, pinned with its fixed seed on the CPU: the language model's validation loss falls by
/// a stated margin in a stated number of steps, the classifier on its saved encoder beats a stated accuracy, and the
/// model trained in .NET goes back to PyTorch.
/// </summary>
[Collection(UlmfitCollection.Name)]
[Trait("Category", "Slow")]
public sealed class UlmfitWorkflowTests(UlmfitFixture fixture, ITestOutputHelper output)
{
    [Fact]
    public void LanguageModelFineTuning_LowersValidationLossByOneNat_In363Steps()
    {
        var lm = fixture.LanguageModel;
        output.WriteLine($"before {lm.Before}; after {lm.After}; {lm.Steps} steps in {fixture.LanguageModelSeconds:F1} s");
        Assert.Equal(363, lm.Steps);
        Assert.Equal(7, lm.MatchedWords);
        Assert.True(lm.Before.Loss - lm.After.Loss >= 1.0, $"validation loss fell from {lm.Before.Loss:F4} to {lm.After.Loss:F4}, less than 1 nat");
        Assert.True(lm.After.Accuracy >= 0.40, $"validation accuracy {lm.After.Accuracy:P2} < 40 %");
        Assert.True(fixture.LanguageModelSeconds < 60, $"fine-tuning took {fixture.LanguageModelSeconds:F1} s");
        Assert.True(File.Exists(lm.EncoderPath) && File.Exists(lm.ModelPath));
    }

    [Fact]
    public void Classifier_OnTheSavedEncoder_WithGradualUnfreezing_Beats95Percent()
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var result = UlmfitRecipe.TrainClassifier(fixture.Corpus, fixture.LanguageModel.EncoderPath, fixture.Settings);
        double seconds = clock.Elapsed.TotalSeconds;
        output.WriteLine($"before {result.Before}; " + string.Join("; ", result.Stages.Select(s => $"{s.Stage}: {s.Metrics}")) + $"; {seconds:F1} s");
        Assert.InRange(result.Before.Accuracy, 0.4, 0.6);
        Assert.Equal(["last group", "freeze_to(-2)", "freeze_to(-3)", "unfrozen"], result.Stages.Select(s => s.Stage));
        Assert.True(result.After.Accuracy >= 0.95, $"validation accuracy {result.After.Accuracy:P2} < 95 %");
        Assert.True(seconds < 60, $"training took {seconds:F1} s");
    }

    [Fact]
    public void TrainedInDotNet_SavedByTorchSharp_ConvertedToPth_MatchesPyTorch()
    {
        string saved = fixture.LanguageModel.ModelPath;
        // The module a user rebuilds, loaded with TorchSharp's own strict load of the file TorchSharp's save wrote.
        var arch = new AwdLstmArchitecture(fixture.Corpus.Vocabulary.Count, 20, 36, 3);
        using var lm = new AwdLstmLanguageModel(arch);
        lm.load(saved, strict: true);
        lm.eval();
        long[] stream = fixture.Corpus.Stream(fixture.Corpus.Valid);
        long[][] rows = [stream[..40], stream[100..140]];
        using var tokens = tensor(rows.SelectMany(r => r).ToArray(), [2, 40]);
        using var logits = no_grad().Let(() => lm.forward(tokens));

        string clean = Path.Combine(fixture.Folder, "lm.clean.pth");
        var (code, stdout, stderr) = Processes.WeightPort("convert", saved, "--format", "pth", "-o", clean, "--force");
        Assert.True(code == 0, stdout + stderr);
        // The weights come back bit for bit under fastai v2's names.
        var back = WeightPort.TorchSharp.Loading.CoreCheckpoint.ReadAllTensors(clean).ToDictionary(t => t.Name);
        foreach (var (name, t) in lm.state_dict())
        {
            string v2 = FastaiV2Name(name);
            Assert.True(back.ContainsKey(v2), $"{v2} is missing from the .pth");
            Assert.True(t.bytes.SequenceEqual(back[v2].Bytes), $"{name} → {v2} differs");
        }
        string tokensJson = Path.Combine(fixture.Folder, "tokens.json");
        File.WriteAllText(tokensJson, JsonSerializer.Serialize(rows));
        string logitsFile = Path.Combine(fixture.Folder, "logits.f32");
        File.WriteAllBytes(logitsFile, logits.contiguous().bytes.ToArray());
        var (pyCode, pyOut, pyErr) = Processes.PythonScript(Repo.Tool("check_roundtrip.py"), clean, clean + ".manifest.json", tokensJson, logitsFile,
            // Weights are bit-identical (above); logits of the trained model (|logit| up to ~10) differ by float32
            // rounding between libtorch 1.13 (Debian's torch) and 2.10 (TorchSharp), a few 1e-6.
            "--tolerance", 1e-5.ToString(CultureInfo.InvariantCulture));
        output.WriteLine(pyOut + pyErr);
        Assert.True(pyCode == 0, pyOut + pyErr);
        Assert.StartsWith("OK", pyOut, StringComparison.Ordinal);
    }

    private static string FastaiV2Name(string canonical) => canonical switch
    {
        "encoder.weight" => "0.encoder.weight",
        "decoder.bias" => "1.decoder.bias",
        "decoder.weight" => "1.decoder.weight",
        _ when canonical.StartsWith("rnns.", StringComparison.Ordinal) && canonical.EndsWith(".weight_hh_l0", StringComparison.Ordinal) => "0." + canonical + "_raw",
        _ when canonical.StartsWith("rnns.", StringComparison.Ordinal) => "0." + canonical.Insert(canonical.IndexOf('.', 5) + 1, "module."),
        _ => throw new ArgumentException($"no fastai v2 name for {canonical}"),
    };
}
