using TorchSharp;
using WeightPort.TorchSharp.Modules;
using static TorchSharp.torch;

namespace WeightPort.TorchSharp.Loading;

/// <summary>Builds modules from <see cref="CoreCheckpoint"/>s: the module is created uninitialised in the target type and every tensor is copied into it once, from the mapped file.</summary>
internal static class PretrainedLoader
{
    public static AwdLstmLanguageModel LoadLanguageModel(string path, PretrainedOptions options)
    {
        ArgumentNullException.ThrowIfNull(path);
        Native.TorchSharpRuntime.EnsureAvailable();
        using var checkpoint = CoreCheckpoint.Open(path, options);
        var d = checkpoint.Description;
        if (!d.HasDecoder)
            throw checkpoint.Refuse($"'{d.LayoutId}' holds no language-model decoder{(d.IsClassifier ? " (it is a classifier: use AwdLstmTextClassifier.FromPretrained)" : " (an encoder: use AwdLstmTextClassifier.FromEncoder)")}");
        var arch = options.Vocabulary is { } v ? d.Architecture with { VocabSize = v.NewVocabulary.Count } : d.Architecture;
        var model = new AwdLstmLanguageModel(arch, options.Dropouts ?? AwdLstmDropouts.LanguageModel, d.Tied, d.DecoderBias, options.DType, initialize: false);
        try
        {
            // A tied decoder without a bias is written with decoder.weight (else nothing would say there is a decoder);
            // the module registers the embedding under that name too, so both names fill one tensor.
            if (d.Tied && checkpoint.Tensors.Any(t => t.Name == "decoder.weight")) CheckTiedCopy(checkpoint);
            Fill(checkpoint, model.state_dict(), options.Vocabulary, ignore: static _ => false);
            return Place(model, options);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    public static AwdLstmTextClassifier LoadClassifier(string path, PretrainedOptions options)
    {
        ArgumentNullException.ThrowIfNull(path);
        Native.TorchSharpRuntime.EnsureAvailable();
        using var checkpoint = CoreCheckpoint.Open(path, options);
        var d = checkpoint.Description;
        if (!d.IsClassifier)
            throw checkpoint.Refuse($"'{d.LayoutId}' holds no classifier head (use AwdLstmLanguageModel.FromPretrained, or AwdLstmTextClassifier.FromEncoder to start a new head)");
        // As the core decides it: fastai v1 heads have Linear biases, v2 heads none; this holds for converted files too,
        // whose layout name no longer says.
        var semantics = options.Semantics ?? (d.HeadLinearBias ? ClassifierSemantics.FastaiV1 : ClassifierSemantics.FastaiV2);
        int bptt = options.Bptt ?? (semantics == ClassifierSemantics.FastaiV1 ? 70 : 72);
        var sizes = d.HeadSizes;
        var head = new ClassifierHead(sizes[^1], [.. sizes.Skip(1).Take(sizes.Count - 2)], [.. Enumerable.Repeat(0.1, sizes.Count - 2)], d.HeadLinearBias, bptt, 20 * bptt, semantics);
        var model = new AwdLstmTextClassifier(d.Architecture, head, options.Dropouts ?? AwdLstmDropouts.Classifier, options.DType, initialize: false);
        try
        {
            Fill(checkpoint, model.state_dict(), vocabulary: null, ignore: static _ => false);
            return Place(model, options);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    public static AwdLstmTextClassifier LoadClassifierFromEncoder(string path, ClassifierHead head, PretrainedOptions options)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(head);
        Native.TorchSharpRuntime.EnsureAvailable();
        using var checkpoint = CoreCheckpoint.Open(path, options);
        var d = checkpoint.Description;
        var arch = options.Vocabulary is { } v ? d.Architecture with { VocabSize = v.NewVocabulary.Count } : d.Architecture;
        var model = new AwdLstmTextClassifier(arch, head, options.Dropouts ?? AwdLstmDropouts.Classifier, options.DType, initialize: false);
        try
        {
            model.InitializeHead();
            var encoderOnly = model.state_dict().Where(kv => !kv.Key.StartsWith("head.", StringComparison.Ordinal)).ToDictionary();
            // load_encoder takes the encoder and leaves a language model's decoder or an old head behind.
            Fill(checkpoint, encoderOnly, options.Vocabulary, ignore: static name => name.StartsWith("decoder.", StringComparison.Ordinal) || name.StartsWith("head.", StringComparison.Ordinal));
            return Place(model, options);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    private static void CheckTiedCopy(CoreCheckpoint checkpoint)
    {
        var decoder = checkpoint.Tensors.First(t => t.Name == "decoder.weight");
        var embedding = checkpoint.Tensors.First(t => t.Name == "encoder.weight");
        using var a = Read(decoder);
        using var b = Read(embedding);
        if (!a.shape.SequenceEqual(b.shape) || !a.bytes.SequenceEqual(b.bytes))
            throw checkpoint.Refuse("decoder.weight is listed for a tied decoder but differs from encoder.weight", "decoder.weight");
    }

    private static T Place<T>(T model, PretrainedOptions options) where T : nn.Module
    {
        if (options.Device is { } device && device.type != DeviceType.CPU) model.to(device);
        return model;
    }

    private static void Fill(CoreCheckpoint checkpoint, Dictionary<string, Tensor> targets, VocabularyMatch? vocabulary, Func<string, bool> ignore)
    {
        var byName = checkpoint.Tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
        var unexpected = byName.Keys.Where(k => !targets.ContainsKey(k) && !ignore(k)).ToList();
        // PyTorch < 0.4.1 saved no num_batches_tracked; the module's stays 0.
        var missing = targets.Keys.Where(k => !byName.ContainsKey(k) && !k.EndsWith(".num_batches_tracked", StringComparison.Ordinal)).ToList();
        if (unexpected.Count > 0 || missing.Count > 0)
            throw checkpoint.Refuse(
                $"the checkpoint's tensors do not fit the module built from its configuration: " +
                (missing.Count > 0 ? $"missing {string.Join(", ", missing)}" : "") + (missing.Count > 0 && unexpected.Count > 0 ? "; " : "") +
                (unexpected.Count > 0 ? $"unexpected {string.Join(", ", unexpected)}" : ""), (missing.Count > 0 ? missing : unexpected)[0]);
        var rows = vocabulary?.SourceRows();
        using var _ = no_grad();
        foreach (var (name, target) in targets)
        {
            if (!byName.TryGetValue(name, out var source)) continue;
            if (target.dtype != source.DType)
                throw checkpoint.Refuse($"'{name}' is {source.DType} in the plan but {target.dtype} in the module", name);
            bool remap = rows is not null && name is "encoder.weight" or "decoder.bias" or "decoder.weight";
            if (remap)
            {
                using var old = Read(source);
                using var remapped = Remap(old, rows!);
                target.copy_(remapped);
                continue;
            }
            if (!target.shape.SequenceEqual(source.Shape))
                throw checkpoint.Refuse($"'{name}' has shape [{string.Join(", ", source.Shape)}] in the file but [{string.Join(", ", target.shape)}] in the module", name);
            source.CopyTo(target.bytes);
        }
    }

    private static Tensor Read(CoreTensor source)
    {
        var t = empty(source.Shape, source.DType);
        source.CopyTo(t.bytes);
        return t;
    }

    private static Tensor Remap(Tensor old, long[] rows)
    {
        // match_embeds: known words keep their row, the others get the mean of every old row.
        using var scope = NewDisposeScope();
        var mean = old.to_type(ScalarType.Float32).mean([0], keepdim: true).to_type(old.dtype);
        var extended = cat([old, mean], 0);
        var index = tensor(rows.Select(r => r < 0 ? old.shape[0] : r).ToArray());
        return extended.index_select(0, index).MoveToOuterDisposeScope();
    }
}
