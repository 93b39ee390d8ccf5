namespace WeightPort.Fuzz;

/// <summary>
/// What the scanners learned about a seed: its record boundaries (truncation and splice points), its length/size/count
/// fields (inflation targets) and, for a zip, its entries (for reordering).
/// </summary>
public sealed class SeedLayout
{
    private readonly SortedSet<int> _boundaries = [];

    /// <summary>Record boundaries, ascending, without duplicates.</summary>
    public IReadOnlyList<int> Boundaries { get; private set; } = [];

    /// <summary>Length, size, count, offset and index fields.</summary>
    public List<SizeField> Fields { get; } = [];

    /// <summary>The zip entries, when the seed is a zip the reorderer can rewrite.</summary>
    public List<ZipRecord> ZipRecords { get; } = [];

    /// <summary>Start of the zip's central directory (end of the local records).</summary>
    public int ZipCentralStart { get; set; }

    /// <summary>End of the zip's central directory.</summary>
    public int ZipCentralEnd { get; set; }

    /// <summary>Offsets of the STOP opcodes of the pickles found, in order.</summary>
    public List<int> PickleStops { get; } = [];

    /// <summary>Offsets of tar headers, whose checksum the mutator may recompute after rewriting a field.</summary>
    public List<int> TarHeaders { get; } = [];

    /// <summary>True for a safetensors seed: a rewritten JSON number may also fix the 8-byte header length.</summary>
    public bool SafetensorsHeader { get; set; }

    /// <summary>Records a boundary.</summary>
    public void AddBoundary(int offset)
    {
        if (offset >= 0) _boundaries.Add(offset);
    }

    /// <summary>Records a field.</summary>
    public void AddField(int offset, int width, FieldEncoding encoding, string what)
    {
        if (offset >= 0 && width > 0) Fields.Add(new SizeField(offset, width, encoding, what));
    }

    /// <summary>Fixes <see cref="Boundaries"/> once scanning is done; boundaries past <paramref name="length"/> are dropped.</summary>
    public void Seal(int length)
    {
        _boundaries.Add(0);
        _boundaries.Add(length);
        Boundaries = [.. _boundaries.Where(b => b <= length)];
        Fields.RemoveAll(f => f.Offset + f.Width > length);
    }
}
