namespace WeightPort.Compute.Cuda;

/// <summary>The ordered attempts for one native library and the places they cover (for error messages).</summary>
/// <param name="Candidates">Bare names first (the system loader: ld.so.cache, LD_LIBRARY_PATH), then files that exist in the searched folders.</param>
/// <param name="Places">Human-readable list of everywhere looked, in order.</param>
internal sealed record LibrarySearchPlan(IReadOnlyList<LibraryCandidate> Candidates, IReadOnlyList<string> Places);
