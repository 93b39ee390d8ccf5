using WeightPort.Formats;

namespace WeightPort.Fuzz;

/// <summary>One reader under fuzz.</summary>
/// <param name="Id">Its index in <see cref="FuzzTargets.All"/> (part of every input's identity).</param>
/// <param name="Name">Its command-line name (<c>zip</c>, <c>pickle</c> …).</param>
/// <param name="Preferred">The seed kinds it is mostly fed (the others feed it too, less often).</param>
/// <param name="Read">Reads the bytes (with unsafe globals reported rather than fatal when the flag is set); null for a reader that returns no checkpoint.</param>
public sealed record FuzzTarget(int Id, string Name, IReadOnlyList<SeedKind> Preferred, Func<byte[], bool, Checkpoint?> Read);
