namespace WeightPort.Fuzz;

/// <summary>One zip entry as the reorderer needs it: its local block and where its central-directory offset field sits.</summary>
/// <param name="LocalOffset">Start of the local header.</param>
/// <param name="CentralOffset">Start of the central directory entry.</param>
/// <param name="CentralLength">Bytes of the central directory entry (header, name, extra, comment).</param>
/// <param name="OffsetField">Where the local header offset is stored (inside the central entry or its ZIP64 extra).</param>
/// <param name="OffsetFieldWidth">4, or 8 in a ZIP64 extra field.</param>
public sealed record ZipRecord(int LocalOffset, int CentralOffset, int CentralLength, int OffsetField, int OffsetFieldWidth);
