using System.Text;

namespace WeightPort.Cli.Rendering;

/// <summary>
/// A plain aligned text table. Plain text (rather than a console widget library) keeps output identical whether stdout
/// is a terminal, a pipe or a test's StringWriter.
/// </summary>
internal sealed class TextTable(params string[] headers)
{
    private readonly List<string[]> _rows = [];
    private readonly bool[] _rightAligned = new bool[headers.Length];

    /// <summary>Right-aligns the given columns (numbers).</summary>
    public TextTable AlignRight(params int[] columns)
    {
        foreach (int c in columns) _rightAligned[c] = true;
        return this;
    }

    /// <summary>Adds a row; it must have one cell per header.</summary>
    public void Add(params string[] cells)
    {
        if (cells.Length != headers.Length) throw new ArgumentException($"row has {cells.Length} cells, table {headers.Length}");
        _rows.Add(cells);
    }

    /// <summary>Writes the table with two spaces between columns.</summary>
    public void WriteTo(TextWriter writer, string indent = "  ")
    {
        var widths = headers.Select(h => h.Length).ToArray();
        foreach (var r in _rows)
            for (int i = 0; i < r.Length; i++) widths[i] = Math.Max(widths[i], r[i].Length);
        WriteRow(writer, indent, headers, widths);
        WriteRow(writer, indent, widths.Select(w => new string('-', w)).ToArray(), widths);
        foreach (var r in _rows) WriteRow(writer, indent, r, widths);
    }

    private void WriteRow(TextWriter writer, string indent, string[] cells, int[] widths)
    {
        var sb = new StringBuilder(indent);
        for (int i = 0; i < cells.Length; i++)
        {
            if (i > 0) sb.Append("  ");
            sb.Append(_rightAligned[i] ? cells[i].PadLeft(widths[i]) : cells[i].PadRight(widths[i]));
        }
        writer.WriteLine(sb.ToString().TrimEnd());
    }
}
