using WeightPort.TorchSharp.Loading;
using WeightPort.TorchSharp.Modules;
using WeightPort.TorchSharp.Tests.Support;
using static TorchSharp.torch;

namespace WeightPort.TorchSharp.Tests.Loading;

/// <summary>FromPretrained's options, and its decisions and errors, which are convert's.</summary>
public sealed class PretrainedOptionsTests
{
    [Fact]
    public void Float16_LosslessCast_IsAccepted()
    {
        // The WT103-shaped mini model's values are fp16-representable, as lstm_fwd.pth's are.
        using var half = AwdLstmLanguageModel.FromPretrained(Repo.Fixture("wt103_mini_fwd.pth"), new PretrainedOptions { DType = ScalarType.Float16 });
        using var full = AwdLstmLanguageModel.FromPretrained(Repo.Fixture("wt103_mini_fwd.pth"));
        foreach (var (name, t) in half.state_dict())
        {
            Assert.Equal(ScalarType.Float16, t.dtype);
            Assert.True(t.to_type(ScalarType.Float32).eq(full.state_dict()[name]).all().item<bool>(), name);
        }
    }

    [Fact]
    public void Float16_LossyCast_IsRefusedUnlessAllowed()
    {
        string path = Repo.Fixture("fastai_v2_lm.zip.pth");
        var e = Assert.Throws<CheckpointFormatException>(() => AwdLstmLanguageModel.FromPretrained(path, new PretrainedOptions { DType = ScalarType.Float16 }));
        Assert.Equal(CheckpointError.InvalidContent, e.Error);
        Assert.Contains("float16", e.Message, StringComparison.Ordinal);
        using var lossy = AwdLstmLanguageModel.FromPretrained(path, new PretrainedOptions { DType = ScalarType.Float16, AllowLossyCast = true });
        Assert.Equal(ScalarType.Float16, lossy.Encoder.Embedding.weight!.dtype);
    }

    [Fact]
    public void EmbeddingAliasMismatch_FailsAsConvertDoes_UnlessAllowed()
    {
        string path = Repo.Fixture("fastai_v2_lm_alias_mismatch.zip.pth");
        var e = Assert.Throws<CheckpointFormatException>(() => AwdLstmLanguageModel.FromPretrained(path));
        Assert.Equal(CheckpointError.InvalidContent, e.Error);
        Assert.Contains("encoder_dp.emb.weight", e.Message, StringComparison.Ordinal);
        using var allowed = AwdLstmLanguageModel.FromPretrained(path, new PretrainedOptions { AllowEmbeddingMismatch = true });
        Assert.Equal(60, allowed.Architecture.VocabSize);
    }

    [Fact]
    public void WrongKindOfModel_IsRefusedWithTheRightEntryPoint()
    {
        var e = Assert.Throws<CheckpointFormatException>(() => AwdLstmLanguageModel.FromPretrained(Repo.Fixture("fastai_v2_classifier.zip.pth")));
        Assert.Contains("AwdLstmTextClassifier.FromPretrained", e.Message, StringComparison.Ordinal);
        var e2 = Assert.Throws<CheckpointFormatException>(() => AwdLstmTextClassifier.FromPretrained(Repo.Fixture("fastai_v2_lm.zip.pth")));
        Assert.Contains("FromEncoder", e2.Message, StringComparison.Ordinal);
        var e3 = Assert.Throws<CheckpointFormatException>(() => AwdLstmLanguageModel.FromPretrained(Repo.Fixture("torch_views.zip.pt")));
        Assert.Contains("passthrough", e3.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SavedWithOptimizer_LoadsTheModelAlone()
    {
        using var withOpt = AwdLstmLanguageModel.FromPretrained(Repo.Fixture("fastai_v2_lm_with_opt.zip.pth"));
        using var bare = AwdLstmLanguageModel.FromPretrained(Repo.Fixture("fastai_v2_lm.zip.pth"));
        foreach (var (name, t) in bare.state_dict())
            Assert.True(t.eq(withOpt.state_dict()[name]).all().item<bool>(), name);
    }

    [Fact]
    public void VocabularyMatch_KeepsKnownRows_AndGivesNewWordsTheMeanRow()
    {
        var old = FastaiVocabulary.Read(Repo.Fixture("wt103_mini_itos.pkl"));
        string[] fresh = ["xxunk", "xxpad", "the", "zebra-not-in-vocab", "."];
        using var source = AwdLstmLanguageModel.FromPretrained(Repo.Fixture("wt103_mini_fwd.pth"));
        using var matched = AwdLstmLanguageModel.FromPretrained(Repo.Fixture("wt103_mini_fwd.pth"),
            new PretrainedOptions { Vocabulary = new VocabularyMatch(old, fresh) });
        Assert.Equal(5, matched.Architecture.VocabSize);
        var e0 = source.Encoder.Embedding.weight!;
        var e1 = matched.Encoder.Embedding.weight!;
        var b0 = source.Decoder.get_parameter("bias")!;
        var b1 = matched.Decoder.get_parameter("bias")!;
        for (int i = 0; i < fresh.Length; i++)
        {
            int j = old.ToList().LastIndexOf(fresh[i]);
            using var expected = j >= 0 ? e0[j] : e0.mean([0]);
            Assert.True((e1[i] - expected).abs().max().item<float>() < 1e-7f, fresh[i]);
            float bias = j >= 0 ? b0[j].item<float>() : b0.mean().item<float>();
            Assert.Equal(bias, b1[i].item<float>(), 6);
        }
        Assert.Equal(4, new VocabularyMatch(old, fresh).MatchedCount);
    }
}
