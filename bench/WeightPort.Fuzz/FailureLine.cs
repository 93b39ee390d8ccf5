namespace WeightPort.Fuzz;

/// <summary>One failing input, as a worker reports it on stdout (prefixed <c>FAIL </c>) or the supervisor records a dead worker.</summary>
/// <param name="Reader">The reader's name.</param>
/// <param name="Index">The input's index.</param>
/// <param name="Kind">How it failed.</param>
/// <param name="Type">The exception type (or the worker's exit code for a crash).</param>
/// <param name="Message">The exception message (or the worker's last stderr for a crash).</param>
/// <param name="Stack">The stack trace.</param>
public sealed record FailureLine(string Reader, long Index, OutcomeKind Kind, string Type, string Message, string Stack)
{
    /// <summary>Groups failures of one bug: reader, kind, type and the first WeightPort frame.</summary>
    public string Signature
    {
        get
        {
            string frame = Stack.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith("at WeightPort.", StringComparison.Ordinal)
                && !l.StartsWith("at WeightPort.Fuzz.", StringComparison.Ordinal)) ?? "";
            int cut = frame.IndexOf(" in ", StringComparison.Ordinal);
            return $"{Reader} {Kind} {Type} {(cut > 0 ? frame[..cut] : frame)}";
        }
    }
}
