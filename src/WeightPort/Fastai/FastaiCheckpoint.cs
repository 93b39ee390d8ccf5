using WeightPort.Formats;
using WeightPort.Tensors;

namespace WeightPort.Fastai;

/// <summary>
/// A checkpoint seen as a fastai AWD-LSTM: its layout (detected from key names or forced), the configuration inferred
/// from shapes, and the redundancy checks behind every duplicate a conversion drops. A checkpoint that is not a fastai
/// AWD-LSTM has layout <see cref="FastaiLayout.Passthrough"/> and keeps every tensor under its own name.
/// </summary>
public sealed class FastaiCheckpoint : IDisposable
{
    // fastai's learn.save(with_opt=True) keeps the optimizer (fastcore's L) here.
    private const string OptimizerKey = "opt";

    private readonly bool _ownsCheckpoint;
    private FastaiValidationReport? _report;

    private FastaiCheckpoint(Checkpoint checkpoint, FastaiOptions options, bool ownsCheckpoint)
    {
        Checkpoint = checkpoint;
        Options = options;
        _ownsCheckpoint = ownsCheckpoint;
        Content = Recognise(checkpoint, options);
    }

    /// <summary>
    /// Opens <paramref name="path"/> with <see cref="CheckpointReader"/>, ignoring fastai's <c>opt</c> subtree (fastcore's
    /// <c>L</c> is not allowlisted) and those of <see cref="FastaiOptions.IgnoredSubtrees"/>.
    /// </summary>
    /// <param name="path">The checkpoint file.</param>
    /// <param name="options">A forced layout, whether a differing embedding alias is accepted, subtrees to ignore; detect and refuse when null.</param>
    /// <exception cref="CheckpointFormatException">The file is unreadable (a folder, not a checkpoint, a global outside the allowlist
    /// outside the ignored subtrees …), or has fastai names that fit no layout, or shapes that contradict each other.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public static FastaiCheckpoint Open(string path, FastaiOptions? options = null)
    {
        var read = new CheckpointReadOptions
        {
            IgnoredSubtrees = [OptimizerKey, .. (options ?? FastaiOptions.Default).IgnoredSubtrees],
            IgnoreOptionName = DecisionMessages.IgnoredSubtreesOption,
        };
        var checkpoint = CheckpointReader.Open(path, read);
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
    /// <param name="checkpoint">The opened checkpoint.</param>
    /// <param name="options">A forced layout, and whether a differing embedding alias is accepted; detect and refuse when null.</param>
    /// <exception cref="CheckpointFormatException">fastai names that fit no layout, or shapes that contradict each other.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="checkpoint"/> is null.</exception>
    public static FastaiCheckpoint From(Checkpoint checkpoint, FastaiOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        return Create(checkpoint, options, ownsCheckpoint: false);
    }

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

    /// <summary>The options it was recognised with.</summary>
    internal FastaiOptions Options { get; }

    /// <summary>The underlying checkpoint.</summary>
    public Checkpoint Checkpoint { get; }

    /// <summary>What was recognised: the placed AWD-LSTM, or the tensors kept as they are.</summary>
    internal FastaiContent Content { get; }

    /// <summary>The detected or forced layout.</summary>
    public FastaiLayout Layout => Content is AwdLstmContent a ? a.Layout : FastaiLayout.Passthrough;

    /// <summary>The inferred configuration; null for <see cref="FastaiLayout.Passthrough"/>.</summary>
    public FastaiModelConfig? Config => (Content as AwdLstmContent)?.Config;

    /// <summary>True when the file was a <c>{'model': …, 'opt': …}</c> dict (keys were read under <c>model.</c>).</summary>
    public bool IsWrapped => Content is AwdLstmContent { Wrapped: true };

    // The steps, in order: unwrap {'model', 'opt'}, detect (or take) the layout, place the keys on it, infer the
    // configuration from shapes, and check the decoder tie, which the configuration needs.
    private static FastaiContent Recognise(Checkpoint checkpoint, FastaiOptions options)
    {
        var (kept, ignored, ignoredDecisions) = SetAsideIgnored(checkpoint, options.IgnoredSubtrees);
        var (model, optimizer, wrapped) = StateDict.Unwrap(kept);
        var byKey = new Dictionary<string, TensorInfo>(StringComparer.Ordinal);
        foreach (var t in model) byKey.Add(t.Key, t.Tensor);
        bool forced = options.Layout is not null;
        var structure = options.Layout switch
        {
            FastaiLayout.Passthrough => null,
            FastaiLayout layout => LayoutPlacement.Place(FastaiNameMap.Descriptor(layout), byKey),
            null => LayoutDetector.Detect(byKey),
        };
        if (structure is null)
        {
            var tensors = StateDict.AsIs(kept);
            return new PassthroughContent(tensors,
                [new(DecisionKind.Layout, [], DecisionVerdict.Accepted, DecisionMessages.Passthrough(forced, tensors.Count)), .. ignoredDecisions])
            {
                Ignored = ignored,
            };
        }

        var placed = new PlacedTensors(structure, model);
        var config = ConfigInference.Infer(placed);
        ConversionDecision? tie = null;
        if (placed.Find(FastaiRole.DecoderWeight) is { } decoder)
        {
            (bool tied, tie) = RedundancyValidator.CheckDecoderTie(placed.Get(FastaiRole.Embedding), decoder);
            config = config with { Tied = tied };
        }
        var decisions = new List<ConversionDecision>
        {
            new(DecisionKind.Layout, [], DecisionVerdict.Accepted, DecisionMessages.Layout(structure.Descriptor.Layout, forced, wrapped, config)),
        };
        if (wrapped)
            decisions.Add(new(DecisionKind.OptimizerState, [.. optimizer.Select(o => o.Path)], DecisionVerdict.DroppedNotModel,
                DecisionMessages.OptimizerState(optimizer.Count, GlobalsUnder(checkpoint, OptimizerKey))));
        decisions.AddRange(ignoredDecisions);
        if (tie is not null) decisions.Add(tie);
        return new AwdLstmContent(placed, config, optimizer, wrapped, forced, decisions) { Ignored = ignored };
    }

    // The subtrees the caller asked to ignore: their tensors are not part of the model, and what they hold is said.
    private static (List<NamedTensor> Kept, List<NamedTensor> Ignored, List<ConversionDecision> Decisions) SetAsideIgnored(
        Checkpoint checkpoint, IReadOnlyCollection<string> subtrees)
    {
        if (subtrees.Count == 0) return ([.. checkpoint.Tensors], [], []);
        var kept = new List<NamedTensor>();
        var ignored = new List<NamedTensor>();
        foreach (var t in checkpoint.Tensors)
        {
            if (subtrees.Any(s => IsUnder(t.Path, s))) ignored.Add(t);
            else kept.Add(t);
        }
        var decisions = subtrees.Distinct(StringComparer.Ordinal).Select(s =>
        {
            var tensors = ignored.Where(t => IsUnder(t.Path, s)).Select(t => t.Path).ToList();
            return new ConversionDecision(DecisionKind.IgnoredSubtree, tensors, DecisionVerdict.DroppedNotModel,
                DecisionMessages.IgnoredSubtree(s, tensors.Count, GlobalsUnder(checkpoint, s)));
        }).ToList();
        return (kept, ignored, decisions);
    }

    private static IEnumerable<string> GlobalsUnder(Checkpoint checkpoint, string subtree) =>
        checkpoint.UnsafeGlobals.Where(g => IsUnder(g.Path, subtree)).Select(g => g.FullName);

    private static bool IsUnder(string path, string subtree) =>
        path.StartsWith(subtree, StringComparison.Ordinal) && (path.Length == subtree.Length || path[subtree.Length] == '.');

    /// <summary>
    /// Runs the redundancy checks (embedding alias, recurrent copies) once and returns every decision, layout and
    /// decoder tie included. A failed check is a <see cref="DecisionVerdict.Refused"/> decision, not an exception.
    /// </summary>
    public FastaiValidationReport Validate()
    {
        if (_report is not null) return _report;
        var decisions = new List<ConversionDecision>(Content.Decisions);
        if (Content is AwdLstmContent a) decisions.AddRange(RedundancyValidator.Validate(a.Placed, Options));
        return _report = new FastaiValidationReport(Layout, decisions);
    }

    /// <summary>Checks a vocabulary (itos) against the embedding rows.</summary>
    /// <param name="itos">The vocabulary, one token per embedding row.</param>
    /// <returns>The accepting decision, which names the padding token.</returns>
    /// <exception cref="CheckpointFormatException">The lengths differ, or the layout has no embedding (passthrough).</exception>
    /// <exception cref="ArgumentNullException"><paramref name="itos"/> is null.</exception>
    public ConversionDecision CheckVocabulary(IReadOnlyList<string> itos)
    {
        ArgumentNullException.ThrowIfNull(itos);
        if (Content is not AwdLstmContent a)
            throw new CheckpointFormatException(CheckpointError.InvalidContent, DecisionMessages.VocabularyWithoutEmbedding(), Checkpoint.Path);
        var emb = a.Placed.Get(FastaiRole.Embedding);
        var model = a.Config.Model;
        if (itos.Count != model.VocabSize)
            throw new CheckpointFormatException(CheckpointError.InvalidContent, DecisionMessages.VocabularyMismatch(itos.Count, model.VocabSize, emb.SourcePath),
                Checkpoint.Path, key: emb.SourcePath);
        return new(DecisionKind.Vocabulary, [emb.SourcePath], DecisionVerdict.Accepted, DecisionMessages.VocabularyFits(itos.Count, model.VocabSize, model.PadToken, itos));
    }

    /// <summary>Closes the checkpoint when this instance opened it (<see cref="Open"/>).</summary>
    public void Dispose()
    {
        if (_ownsCheckpoint) Checkpoint.Dispose();
    }
}
