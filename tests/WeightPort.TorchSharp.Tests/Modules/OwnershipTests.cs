using WeightPort.TorchSharp.Modules;
using WeightPort.TorchSharp.Tests.Support;
using static TorchSharp.torch;

namespace WeightPort.TorchSharp.Tests.Modules;

/// <summary>The encoder of a model stays usable while only the encoder is referenced (it shares the model's modules).</summary>
public sealed class OwnershipTests
{
    [Fact]
    public void Encoder_OutlivesAnUnreferencedClassifier()
    {
        var encoder = EncoderOfDroppedClassifier();
        for (int i = 0; i < 3; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
        encoder.eval();
        using var _ = no_grad();
        using var x = tensor(new long[] { 2, 3, 4 }).unsqueeze(0);
        using var y = encoder.forward(x);
        Assert.Equal([1L, 3L, 10L], y.shape);
        Assert.True(encoder.Embedding.weight!.abs().sum().item<float>() > 0);
    }

    [Fact]
    public void ModelsMadeInsideADisposeScope_SurviveTheScope()
    {
        AwdLstmLanguageModel loaded;
        AwdLstmTextClassifier built;
        using (NewDisposeScope())
        {
            loaded = AwdLstmLanguageModel.FromPretrained(Repo.Fixture("wt103_mini_fwd.pth"));
            built = new AwdLstmTextClassifier(new AwdLstmArchitecture(30, 8, 12, 2), ClassifierHead.Default(2));
        }
        using (loaded)
        using (built)
        using (no_grad())
        {
            loaded.eval();
            built.eval();
            using var x = tensor(new long[] { 2, 3, 4 }).unsqueeze(0);
            using var logits = loaded.forward(x);
            using var classes = built.forward(x);
            Assert.Equal([1L, 3L, 200L], logits.shape);
            Assert.Equal([1L, 2L], classes.shape);
            Assert.All(loaded.state_dict().Values.Concat(built.state_dict().Values), t => Assert.False(t.IsInvalid));
        }
    }

    private static AwdLstmEncoder EncoderOfDroppedClassifier() =>
        AwdLstmTextClassifier.FromEncoder(Repo.Fixture("fastai_v2_encoder.zip.pth"), ClassifierHead.Default(2)).Encoder;
}
