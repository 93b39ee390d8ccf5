namespace WeightPort.Fastai;

/// <summary>Every decision of <see cref="FastaiCheckpoint.Validate"/>, in the order taken.</summary>
public sealed class FastaiValidationReport
{
    /// <summary>Creates a report.</summary>
    internal FastaiValidationReport(FastaiLayout layout, IReadOnlyList<ConversionDecision> decisions)
    {
        Layout = layout;
        Decisions = decisions;
    }

    /// <summary>The layout validated.</summary>
    public FastaiLayout Layout { get; }

    /// <summary>The decisions.</summary>
    public IReadOnlyList<ConversionDecision> Decisions { get; }

    /// <summary>True when no decision refused the checkpoint.</summary>
    public bool IsValid => Decisions.All(d => d.Severity != DecisionSeverity.Error);

    /// <summary>The refusing decisions.</summary>
    public IEnumerable<ConversionDecision> Errors => Decisions.Where(d => d.Severity == DecisionSeverity.Error);

    /// <summary>The warnings (overrides, lossy casts).</summary>
    public IEnumerable<ConversionDecision> Warnings => Decisions.Where(d => d.Severity == DecisionSeverity.Warning);

    /// <summary>Throws the first refusal as a <see cref="CheckpointFormatException"/> (<see cref="CheckpointError.InvalidContent"/>) naming its key.</summary>
    /// <exception cref="CheckpointFormatException">A decision refused the checkpoint.</exception>
    public void ThrowIfInvalid(string? path = null)
    {
        var errors = Errors.ToList();
        if (errors.Count == 0) return;
        string reason = errors.Count == 1
            ? errors[0].Details
            : string.Join("; ", errors.Select(e => e.Details)) + $" ({errors.Count} checks failed)";
        throw new CheckpointFormatException(CheckpointError.InvalidContent, reason, path, key: errors[0].Keys.Count > 0 ? errors[0].Keys[^1] : null);
    }
}
