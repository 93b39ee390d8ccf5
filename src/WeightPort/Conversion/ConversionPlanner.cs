using WeightPort.Fastai;
using WeightPort.Formats;
using WeightPort.Formats.Pickle;
using WeightPort.Tensors;

namespace WeightPort.Conversion;

/// <summary>
/// Turns a validated <see cref="FastaiCheckpoint"/> into a <see cref="ConversionPlan"/>: canonical names in canonical
/// order, the recurrent matrix from <c>weight_hh_l0_raw</c>, duplicates dropped with reasons, casts checked value by value.
/// </summary>
internal static class ConversionPlanner
{
    public static ConversionPlan Plan(FastaiCheckpoint checkpoint, ConversionOptions options)
    {
        if (options.TargetDType is { } td && td is not (DType.Float32 or DType.Float16 or DType.BFloat16))
            throw new ArgumentException($"target dtype must be float32, float16 or bfloat16, not {td.TorchName()}", nameof(options));
        var report = checkpoint.Validate();
        report.ThrowIfInvalid(checkpoint.Checkpoint.Path);
        var decisions = new List<ConversionDecision>(report.Decisions);
        var (outputs, dropped) = checkpoint.Content switch
        {
            AwdLstmContent a => Outputs(a, report, options),
            PassthroughContent p => (p.Tensors.Select(t => new Output(t.Key, t, null, 0)).ToList(), new List<DroppedTensor>()),
            _ => throw new InvalidOperationException("unknown checkpoint content"),
        };
        foreach (var t in checkpoint.Content.Ignored)
        {
            string subtree = checkpoint.Options.IgnoredSubtrees.First(s => t.Path == s || t.Path.StartsWith(s + ".", StringComparison.Ordinal));
            dropped.Add(new DroppedTensor(t.Path, DecisionMessages.IgnoredTensorDropped(subtree)));
        }
        if (outputs.Count == 0)
            throw new CheckpointFormatException(CheckpointError.InvalidContent, NothingToConvert(checkpoint.Checkpoint), checkpoint.Checkpoint.Path);
        var planned = Cast(outputs, options, decisions, checkpoint.Checkpoint.Path);
        if (options.Vocabulary is { } itos) decisions.Add(checkpoint.CheckVocabulary(itos));
        return new ConversionPlan(checkpoint.Checkpoint.Path, checkpoint.Layout, checkpoint.Config, planned, dropped, decisions, options, checkpoint.Checkpoint.Tensors.Count);
    }

    // A file without tensors would convert to an empty file and a manifest; say what it is instead. The usual case is a
    // vocabulary given where the checkpoint goes.
    private static string NothingToConvert(Checkpoint checkpoint)
    {
        const string vocabulary = nameof(ConversionOptions) + "." + nameof(ConversionOptions.Vocabulary);
        const string nothing = "the file holds no tensors, so there is nothing to convert";
        if (checkpoint.Root is PickleList { Items: var items } && items.Count > 0 && items.All(i => i is PickleString))
            return string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{nothing}: it is a pickled list of {items.Count:N0} str, ") +
                $"which looks like a vocabulary (itos); give it with {vocabulary} to the conversion of the checkpoint it belongs to";
        if (checkpoint.Tensors.Count > 0) return "every tensor of the file is set aside (ignored subtrees), so there is nothing to convert";
        return checkpoint.Format == CheckpointFormat.Pickle
            ? $"{nothing} (it is a plain pickle of {checkpoint.Root?.Described ?? "nothing"})"
            : $"{nothing} (it is a {checkpoint.Format} file without tensors)";
    }

    private readonly record struct Output(string Target, SourceTensor Source, FastaiRole? Role, int Index);

    private static (List<Output> Outputs, List<DroppedTensor> Dropped) Outputs(AwdLstmContent content, FastaiValidationReport report, ConversionOptions options)
    {
        var placed = content.Placed;
        var config = content.Config;
        var outputs = new List<Output>();
        void Out(FastaiRole role, int index)
        {
            if (placed.Find(role, index) is { } t) outputs.Add(new(FastaiNameMap.TargetName(role, index), t, role, index));
        }
        Out(FastaiRole.Embedding, 0);
        for (int l = 0; l < config.Model.Layers; l++)
            foreach (var role in FastaiNameMap.LayerRoles) Out(role, l);
        // A tied decoder without a bias would leave no decoder key at all, and the canonical file could not say it has
        // a decoder; the weight is written then (TorchSharp's own state_dict lists it under both names anyway).
        bool writeTied = options.WriteTiedDecoderWeight || !config.DecoderBias;
        if (config.HasDecoder && (!config.Tied || writeTied)) Out(FastaiRole.DecoderWeight, 0);
        Out(FastaiRole.DecoderBias, 0);
        for (int b = 0; b < placed.Structure.Head.Count; b++)
            foreach (var role in FastaiNameMap.HeadRoles) Out(role, b);

        var dropped = new List<DroppedTensor>();
        foreach (var d in report.Decisions)
        {
            if (d.Kind is DecisionKind.EmbeddingCopy or DecisionKind.RecurrentCopy)
            {
                var role = d.Kind == DecisionKind.EmbeddingCopy ? FastaiRole.EmbeddingCopy : FastaiRole.WeightHhCopy;
                dropped.Add(new DroppedTensor(d.Keys[^1], DecisionMessages.Dropped(role, d.Verdict)));
            }
        }
        if (config.HasDecoder && config.Tied && !writeTied && placed.Find(FastaiRole.DecoderWeight) is { } decoder)
            dropped.Add(new DroppedTensor(decoder.SourcePath, DecisionMessages.TiedDecoderDropped));
        foreach (var o in content.Optimizer) dropped.Add(new DroppedTensor(o.Path, DecisionMessages.OptimizerTensorDropped));
        return (outputs, dropped);
    }

    private static List<PlannedTensor> Cast(List<Output> outputs, ConversionOptions options, List<ConversionDecision> decisions, string path)
    {
        var planned = new List<PlannedTensor>();
        var lossy = new List<string>();
        int castCount = 0;
        foreach (var (target, src, role, index) in outputs)
        {
            DType outType = src.Tensor.DType;
            bool? lossless = null;
            if (options.TargetDType is { } want && src.Tensor.DType.IsFloatingPoint() && want != src.Tensor.DType)
            {
                outType = want;
                castCount++;
                var diff = TensorComparison.CastRoundTrip(src.Tensor, want);
                lossless = diff.Equal;
                if (!diff.Equal)
                {
                    lossy.Add(src.SourcePath);
                    decisions.Add(new(DecisionKind.Cast, [src.SourcePath], DecisionVerdict.Lossy, DecisionMessages.CastLossy(src.SourcePath, src.Tensor.DType, want, diff)));
                }
            }
            planned.Add(new PlannedTensor(target, src.SourcePath, src.Tensor, outType, lossless, role, index));
        }
        if (options.TargetDType is { } to && castCount > 0 && lossy.Count == 0)
            decisions.Add(new(DecisionKind.Cast, [], DecisionVerdict.Lossless, DecisionMessages.CastLossless(castCount, to)));
        if (lossy.Count > 0 && options.RequireLosslessCast && options.TargetDType is { } refused)
            throw new CheckpointFormatException(CheckpointError.InvalidContent, DecisionMessages.CastRefused(refused, lossy), path, key: lossy[0]);
        return planned;
    }
}
