namespace WeightPort.Fuzz;

/// <summary>One generated input.</summary>
/// <param name="Bytes">What the reader gets.</param>
/// <param name="ReportUnsafe">Whether the reader is asked to report (not refuse) non-allowlisted globals.</param>
/// <param name="Description">Seed and mutations, for failure reports.</param>
public sealed record FuzzInput(byte[] Bytes, bool ReportUnsafe, string Description);
