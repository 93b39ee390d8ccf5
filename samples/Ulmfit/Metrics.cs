namespace Ulmfit;

/// <summary>Mean cross-entropy and top-1 accuracy.</summary>
/// <param name="Loss">Mean cross-entropy (nats).</param>
/// <param name="Accuracy">Share of correct top-1 predictions.</param>
public sealed record Metrics(double Loss, double Accuracy)
{
    /// <inheritdoc />
    public override string ToString() => FormattableString.Invariant($"loss {Loss:F4}, accuracy {Accuracy:P2}");
}
