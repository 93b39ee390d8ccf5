using System.Text.Json;
using TorchSharp;
using WeightPort.TorchSharp.Modules;
using static TorchSharp.torch;

namespace WeightPort.TorchSharp.Tests.Support;

/// <summary>Builds the module a conversion manifest's configuration describes, as a user would by hand.</summary>
internal static class ModelFactory
{
    public static nn.Module FromManifest(string manifestPath)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(manifestPath));
        var c = doc.RootElement.GetProperty("config");
        var arch = new AwdLstmArchitecture(c.GetProperty("vocab_size").GetInt32(), c.GetProperty("emb_size").GetInt32(),
            c.GetProperty("hidden_size").GetInt32(), c.GetProperty("layers").GetInt32(), c.GetProperty("bidirectional").GetBoolean(),
            c.GetProperty("pad_token").GetInt32());
        var heads = c.GetProperty("head_sizes").EnumerateArray().Select(e => e.GetInt32()).ToList();
        bool half = c.GetProperty("dtype").GetString() == "float16";
        if (heads.Count > 0)
        {
            var head = new ClassifierHead(heads[^1], [.. heads.Skip(1).Take(heads.Count - 2)], [.. Enumerable.Repeat(0.1, heads.Count - 2)], c.GetProperty("head_linear_bias").GetBoolean());
            var classifier = new AwdLstmTextClassifier(arch, head);
            if (half)
            {
                // fastai's to_fp16 (model2half): everything half except BatchNorm.
                classifier.half();
                foreach (var block in classifier.Classifier.Blocks) block.BatchNorm.to(ScalarType.Float32);
            }
            return classifier;
        }
        nn.Module model = c.GetProperty("has_decoder").GetBoolean()
            ? new AwdLstmLanguageModel(arch, tied: c.GetProperty("tied").GetBoolean(), decoderBias: c.GetProperty("decoder_bias").GetBoolean())
            : new AwdLstmEncoder(arch);
        return half ? model.half() : model;
    }
}
