namespace WeightPort.Fuzz;

/// <summary>A length, size, count, offset or index field found in a seed: where it is, how wide, how stored, and what it is.</summary>
/// <param name="Offset">Byte offset of the field in the seed.</param>
/// <param name="Width">Bytes the field occupies.</param>
/// <param name="Encoding">How its value is stored.</param>
/// <param name="What">A short name for reports (e.g. <c>zip.cd.csize</c>).</param>
public sealed record SizeField(int Offset, int Width, FieldEncoding Encoding, string What);
