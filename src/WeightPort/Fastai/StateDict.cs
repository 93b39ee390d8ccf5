using WeightPort.Formats;

namespace WeightPort.Fastai;

/// <summary>
/// The model part of a checkpoint: <c>learn.save(with_opt=True)</c> wraps fastai's state dict as
/// <c>{'model': state_dict, 'opt': optimizer_state}</c> (docs/fastai-layouts.md §7.1); anything else is the state dict itself.
/// </summary>
internal static class StateDict
{
    private const string ModelPrefix = "model.", OptimizerPrefix = "opt.";

    /// <summary>The model's tensors under their state-dict keys, the optimizer's tensors, and whether the file was wrapped.</summary>
    /// <exception cref="CheckpointFormatException">Two tensors have the same state-dict key.</exception>
    public static (List<SourceTensor> Model, List<NamedTensor> Optimizer, bool Wrapped) Unwrap(IReadOnlyList<NamedTensor> all)
    {
        bool wrapped = all.Any(t => t.Path.StartsWith(ModelPrefix, StringComparison.Ordinal)) &&
                       all.All(t => t.Path.StartsWith(ModelPrefix, StringComparison.Ordinal) || t.Path.StartsWith(OptimizerPrefix, StringComparison.Ordinal));
        var model = new List<SourceTensor>();
        var optimizer = new List<NamedTensor>();
        foreach (var t in all)
        {
            if (!wrapped) model.Add(new SourceTensor(t.Path, t.Path, t.Tensor));
            else if (t.Path.StartsWith(ModelPrefix, StringComparison.Ordinal)) model.Add(new SourceTensor(t.Path[ModelPrefix.Length..], t.Path, t.Tensor));
            else optimizer.Add(t);
        }
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var t in model)
        {
            if (!seen.Add(t.Key))
                throw new CheckpointFormatException(CheckpointError.InvalidContent, DecisionMessages.DuplicateKey(t.Key), key: t.SourcePath);
        }
        return (model, optimizer, wrapped);
    }

    /// <summary>Every tensor under its own path, for a checkpoint that is kept as it is.</summary>
    public static List<SourceTensor> AsIs(IReadOnlyList<NamedTensor> tensors) => [.. tensors.Select(t => new SourceTensor(t.Path, t.Path, t.Tensor))];
}
