namespace Ulmfit;

/// <summary>What training the classifier did.</summary>
/// <param name="Before">Validation metrics with the fresh head.</param>
/// <param name="Stages">Validation metrics after each gradual-unfreezing stage.</param>
/// <param name="Steps">Optimizer steps taken.</param>
public sealed record ClassifierResult(Metrics Before, IReadOnlyList<(string Stage, Metrics Metrics)> Stages, int Steps)
{
    /// <summary>The final validation metrics.</summary>
    public Metrics After => Stages[^1].Metrics;
}
