namespace WeightPort.Fuzz;

/// <summary>One seed file: its bytes, what it is and its scanned layout.</summary>
/// <param name="Name">Where it came from (relative path, or path!member for an extracted pickle).</param>
/// <param name="Bytes">The unmutated bytes.</param>
/// <param name="Kind">Its format.</param>
/// <param name="Layout">Its boundaries and fields.</param>
public sealed record Seed(string Name, byte[] Bytes, SeedKind Kind, SeedLayout Layout);
