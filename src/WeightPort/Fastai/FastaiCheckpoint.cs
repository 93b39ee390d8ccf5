using System.Globalization;
using WeightPort.Tensors;

namespace WeightPort.Fastai;

/// <summary>
/// A checkpoint seen as a fastai AWD-LSTM: its layout (detected from key names or forced), the configuration inferred
/// from shapes, the redundancy checks behind every dropped duplicate, and the plan of what to write under which name.
/// </summary>
public sealed class FastaiCheckpoint : IDisposable
{
    private readonly bool _ownsCheckpoint;
    private readonly FastaiOptions _options;
    private readonly List<SourceTensor> _model;
    private readonly List<NamedTensor> _optimizer;
    private readonly PlacedTensors? _placed;
    private readonly List<ConversionDecision> _baseDecisions;
    private FastaiValidationReport? _report;

    private FastaiCheckpoint(Checkpoint checkpoint, FastaiOptions options, bool ownsCheckpoint)
    {
        Checkpoint = checkpoint;
        _options = options;
        _ownsCheckpoint = ownsCheckpoint;
        _baseDecisions = [];

        // learn.save(with_opt=True) wraps the state dict as {'model': sd, 'opt': …} (fastai-layouts.md §7).
        var all = checkpoint.Tensors;
        IsWrapped = all.Any(t => t.Path.StartsWith("model.", StringComparison.Ordinal)) &&
                    all.All(t => t.Path.StartsWith("model.", StringComparison.Ordinal) || t.Path.StartsWith("opt.", StringComparison.Ordinal));
        _model = [];
        _optimizer = [];
        foreach (var t in all)
        {
            if (!IsWrapped) _model.Add(new SourceTensor(t.Path, t.Path, t.Tensor));
            else if (t.Path.StartsWith("model.", StringComparison.Ordinal)) _model.Add(new SourceTensor(t.Path["model.".Length..], t.Path, t.Tensor));
            else _optimizer.Add(t);
        }
        var byKey = new Dictionary<string, TensorInfo>(StringComparer.Ordinal);
        foreach (var t in _model)
        {
            if (!byKey.TryAdd(t.Key, t.Tensor))
                throw new CheckpointFormatException(CheckpointError.InvalidContent, $"tensor key '{t.Key}' occurs twice", checkpoint.Path, key: t.SourcePath);
        }

        bool forced = options.Layout is not null;
        Layout = options.Layout ?? LayoutDetector.Detect(byKey);
        if (Layout == FastaiLayout.Passthrough)
        {
            // Not fastai: nothing is unwrapped or renamed.
            IsWrapped = false;
            _model = [.. all.Select(t => new SourceTensor(t.Path, t.Path, t.Tensor))];
            _optimizer = [];
            _baseDecisions.Add(new(DecisionKind.Layout, [], DecisionVerdict.Accepted,
                (forced ? "layout forced to 'passthrough'" : "not a fastai AWD-LSTM checkpoint: layout 'passthrough'") +
                $": {_model.Count:N0} tensors kept under their own names"));
            return;
        }

        var structure = LayoutDetector.Place(Layout, byKey);
        _placed = new PlacedTensors(structure, _model);
        var config = ConfigInference.Infer(_placed);
        if (_placed.Find(FastaiRole.DecoderWeight) is { } decoder)
        {
            var (tied, decision) = RedundancyValidator.CheckDecoderTie(_placed.Get(FastaiRole.Embedding), decoder);
            config = config with { Tied = tied };
            _baseDecisions.Add(decision);
        }
        Config = config;
        var m = config.Model;
        string head = !config.IsClassifier ? "" :
            Inv($", head [{string.Join(", ", config.HeadSizes)}] Linear {(config.HeadLinearBias ? "with" : "without")} bias") +
            (config.HeadDropoutFree.Any(f => f)
                ? Inv($", Linear index shifted by a p = 0 block (no Dropout module) in block(s) {string.Join(", ", config.HeadDropoutFree.Select((f, i) => (f, i)).Where(x => x.f).Select(x => x.i))}")
                : "");
        _baseDecisions.Insert(0, new(DecisionKind.Layout, [], DecisionVerdict.Accepted,
            Inv($"{(forced ? "layout forced to" : "detected layout")} '{Layout.Id()}'{(IsWrapped ? " (unwrapped from {'model', 'opt'})" : "")}: ") +
            Inv($"vocab {m.VocabSize:N0}, emb {m.EmbSize}, n_hid {m.HiddenSize}, {m.Layers} layer{(m.Layers == 1 ? "" : "s")}, ") +
            Inv($"{(m.Bidirectional ? "bidirectional" : "unidirectional")}, {config.DType.TorchName()}") +
            (config.HasDecoder ? Inv($", decoder {(config.DecoderBias ? "with" : "without")} bias") : "") + head));
        if (IsWrapped)
        {
            string globals = checkpoint.UnsafeGlobals.Count == 0 ? "" :
                "; non-allowlisted globals recorded, never resolved: " + string.Join(", ", checkpoint.UnsafeGlobals.Select(g => g.FullName).Distinct(StringComparer.Ordinal));
            _baseDecisions.Insert(1, new(DecisionKind.OptimizerState, [.. _optimizer.Select(o => o.Path)], DecisionVerdict.DroppedNotModel,
                $"'opt' (optimizer state, {_optimizer.Count:N0} tensors) is not part of the model and is not converted{globals}"));
        }
    }

    /// <summary>Opens <paramref name="path"/> with <see cref="CheckpointReader"/>, ignoring fastai's <c>opt</c> subtree (fastcore's <c>L</c> is not allowlisted).</summary>
    /// <exception cref="CheckpointFormatException">The file is unreadable, or fastai-like but fits no layout.</exception>
    public static FastaiCheckpoint Open(string path, FastaiOptions? options = null)
    {
        var checkpoint = CheckpointReader.Open(path, new CheckpointReadOptions { IgnoredSubtrees = ["opt"] });
        try
        {
            return Create(checkpoint, options, ownsCheckpoint: true);
        }
        catch
        {
            checkpoint.Dispose();
            throw;
        }
    }

    /// <summary>Interprets an already opened checkpoint; the caller keeps ownership of it.</summary>
    /// <exception cref="CheckpointFormatException">fastai-like keys that fit no layout, or shapes that contradict each other.</exception>
    public static FastaiCheckpoint From(Checkpoint checkpoint, FastaiOptions? options = null) => Create(checkpoint, options, ownsCheckpoint: false);

    private static FastaiCheckpoint Create(Checkpoint checkpoint, FastaiOptions? options, bool ownsCheckpoint)
    {
        try
        {
            return new FastaiCheckpoint(checkpoint, options ?? FastaiOptions.Default, ownsCheckpoint);
        }
        catch (CheckpointFormatException e)
        {
            throw e.WithPath(checkpoint.Path);
        }
    }

    /// <summary>The underlying checkpoint.</summary>
    public Checkpoint Checkpoint { get; }

    /// <summary>The detected or forced layout.</summary>
    public FastaiLayout Layout { get; }

    /// <summary>The inferred configuration; null for <see cref="FastaiLayout.Passthrough"/>.</summary>
    public FastaiModelConfig? Config { get; }

    /// <summary>True when the file was a <c>{'model': …, 'opt': …}</c> dict (keys were read under <c>model.</c>).</summary>
    public bool IsWrapped { get; }

    /// <summary>
    /// Runs the redundancy checks (embedding alias, recurrent copies) once and returns every decision, layout and
    /// decoder tie included. A failed check is a <see cref="DecisionVerdict.Refused"/> decision, not an exception.
    /// </summary>
    public FastaiValidationReport Validate()
    {
        if (_report is not null) return _report;
        var decisions = new List<ConversionDecision>(_baseDecisions);
        if (_placed is not null) decisions.AddRange(RedundancyValidator.Validate(_placed, _options));
        return _report = new FastaiValidationReport(Layout, decisions);
    }

    /// <summary>Checks a vocabulary (itos) against the embedding rows.</summary>
    /// <exception cref="CheckpointFormatException">The lengths differ, or the layout has no embedding (passthrough).</exception>
    public ConversionDecision CheckVocabulary(IReadOnlyList<string> itos)
    {
        ArgumentNullException.ThrowIfNull(itos);
        var config = Config ?? throw new CheckpointFormatException(CheckpointError.InvalidContent,
            "a vocabulary can only be checked against a fastai AWD-LSTM embedding; this checkpoint has layout 'passthrough'", Checkpoint.Path);
        var emb = _placed!.Get(FastaiRole.Embedding);
        if (itos.Count != config.Model.VocabSize)
            throw new CheckpointFormatException(CheckpointError.InvalidContent,
                $"the vocabulary has {itos.Count:N0} entries but the embedding '{emb.SourcePath}' has {config.Model.VocabSize:N0} rows",
                Checkpoint.Path, key: emb.SourcePath);
        string pad = itos.Count > config.Model.PadToken ? $"; token {config.Model.PadToken} (padding) is '{itos[config.Model.PadToken]}'" : "";
        return new(DecisionKind.Vocabulary, [emb.SourcePath], DecisionVerdict.Accepted,
            $"the vocabulary's {itos.Count:N0} entries match the {config.Model.VocabSize:N0} embedding rows{pad}");
    }

    /// <summary>
    /// Validates (throwing on any refusal) and plans the output: canonical names in canonical order, the recurrent
    /// matrix from <c>weight_hh_l0_raw</c>, duplicates dropped with reasons, casts checked for losslessness.
    /// </summary>
    /// <exception cref="CheckpointFormatException">A redundancy check refused the file, the vocabulary does not fit, or a lossy cast with <see cref="ConversionOptions.RequireLosslessCast"/>.</exception>
    /// <exception cref="ArgumentException">A target dtype other than float32, float16 or bfloat16.</exception>
    public ConversionPlan CreatePlan(ConversionOptions? options = null)
    {
        options ??= ConversionOptions.Default;
        if (options.TargetDType is { } td && td is not (DType.Float32 or DType.Float16 or DType.BFloat16))
            throw new ArgumentException($"target dtype must be float32, float16 or bfloat16, not {td.TorchName()}", nameof(options));
        var report = Validate();
        report.ThrowIfInvalid(Checkpoint.Path);
        var decisions = new List<ConversionDecision>(report.Decisions);
        var outputs = new List<(string Target, SourceTensor Source, FastaiRole? Role, int Index)>();
        var dropped = new List<DroppedTensor>();

        if (_placed is null)
        {
            foreach (var t in _model) outputs.Add((t.Key, t, null, 0));
        }
        else
        {
            var config = Config!;
            void Out(FastaiRole role, int index)
            {
                if (_placed.Find(role, index) is { } t) outputs.Add((FastaiNameMap.TargetName(role, index), t, role, index));
            }
            Out(FastaiRole.Embedding, 0);
            for (int l = 0; l < config.Model.Layers; l++)
                foreach (var role in FastaiNameMap.LayerRoles) Out(role, l);
            // A tied decoder without a bias would leave no decoder key at all, and the canonical file could not say it
            // has a decoder; the weight is written then (TorchSharp's own state_dict lists it under both names anyway).
            bool writeTied = options.WriteTiedDecoderWeight || !config.DecoderBias;
            if (config.HasDecoder && (!config.Tied || writeTied)) Out(FastaiRole.DecoderWeight, 0);
            Out(FastaiRole.DecoderBias, 0);
            for (int b = 0; b < _placed.Structure.Head.Count; b++)
                foreach (var role in FastaiNameMap.HeadRoles) Out(role, b);

            foreach (var d in report.Decisions)
            {
                if (d.Kind is DecisionKind.EmbeddingCopy or DecisionKind.RecurrentCopy)
                {
                    var role = d.Kind == DecisionKind.EmbeddingCopy ? FastaiRole.EmbeddingCopy : FastaiRole.WeightHhCopy;
                    string reason = d.Verdict == DecisionVerdict.KeptByOverride
                        ? "embedding alias differs from encoder.weight; dropped because embedding mismatches were allowed (see decisions)"
                        : $"{FastaiNameMap.DropReason(role)} ({Describe(d.Verdict)})";
                    dropped.Add(new DroppedTensor(d.Keys[^1], reason));
                }
            }
            if (config.HasDecoder && config.Tied && !writeTied && _placed.Find(FastaiRole.DecoderWeight) is not null)
                dropped.Add(new DroppedTensor(_placed.Get(FastaiRole.DecoderWeight).SourcePath, "tied to encoder.weight (verified); stored once"));
            foreach (var o in _optimizer) dropped.Add(new DroppedTensor(o.Path, "optimizer state ('opt'), not model weights"));
        }

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
                    decisions.Add(new(DecisionKind.Cast, [src.SourcePath], DecisionVerdict.Lossy, string.Create(CultureInfo.InvariantCulture,
                        $"casting '{src.SourcePath}' from {src.Tensor.DType.TorchName()} to {want.TorchName()} changes {diff.Differing:N0} of {diff.Total:N0} values, " +
                        $"largest absolute change {diff.MaxAbsDifference:G9}, first at {RedundancyValidator.Index(diff.FirstIndex)}: {diff.FirstA:G9} → {diff.FirstB:G9}")));
                }
            }
            planned.Add(new PlannedTensor(target, src.SourcePath, src.Tensor, outType, lossless, role, index));
        }
        if (options.TargetDType is { } t2 && castCount > 0 && lossy.Count == 0)
            decisions.Add(new(DecisionKind.Cast, [], DecisionVerdict.Lossless,
                $"all {castCount:N0} cast tensors survive {t2.TorchName()} and back bit for bit"));
        if (lossy.Count > 0 && options.RequireLosslessCast)
            throw new CheckpointFormatException(CheckpointError.InvalidContent,
                $"casting to {options.TargetDType!.Value.TorchName()} would change values of {lossy.Count} tensor{(lossy.Count == 1 ? "" : "s")}: {LayoutDetector.ListNames(lossy)}",
                Checkpoint.Path, key: lossy[0]);
        if (options.Vocabulary is { } itos) decisions.Add(CheckVocabulary(itos));

        return new ConversionPlan(Checkpoint.Path, Layout, Config, planned, dropped, decisions, options);
    }

    private static string Describe(DecisionVerdict v) => v switch
    {
        DecisionVerdict.DroppedSameView => "same storage view",
        DecisionVerdict.DroppedEqual => "bitwise equal",
        DecisionVerdict.DroppedMasked => "dropout-masked copy",
        _ => v.ToString(),
    };

    private static string Inv(FormattableString s) => FormattableString.Invariant(s);

    /// <inheritdoc />
    public void Dispose()
    {
        if (_ownsCheckpoint) Checkpoint.Dispose();
    }
}
