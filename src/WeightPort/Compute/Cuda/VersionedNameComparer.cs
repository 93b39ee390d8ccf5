namespace WeightPort.Compute.Cuda;

/// <summary>
/// Orders paths by the dotted version at the end of their last segment, numerically (<c>cuda-12.10</c> after
/// <c>cuda-12.9</c>, <c>python3.12</c> after <c>python3.9</c>), then ordinally.
/// </summary>
internal sealed class VersionedNameComparer : IComparer<string>
{
    /// <summary>The single instance.</summary>
    public static VersionedNameComparer Instance { get; } = new();

    private VersionedNameComparer()
    {
    }

    /// <inheritdoc />
    public int Compare(string? x, string? y)
    {
        if (ReferenceEquals(x, y)) return 0;
        if (x is null) return -1;
        if (y is null) return 1;
        int[] a = VersionOf(x), b = VersionOf(y);
        for (int i = 0; i < Math.Max(a.Length, b.Length); i++)
        {
            int ai = i < a.Length ? a[i] : -1, bi = i < b.Length ? b[i] : -1;
            if (ai != bi) return ai.CompareTo(bi);
        }
        return string.CompareOrdinal(x, y);
    }

    /// <summary>The numbers of the trailing version of the last path segment: <c>/usr/local/cuda-12.4</c> → [12, 4].</summary>
    internal static int[] VersionOf(string path)
    {
        string name = Path.GetFileName(path.TrimEnd('/'));
        var numbers = new List<int>();
        int i = 0;
        // The version is the numbers after the first digit run's start, ignoring non-numeric parts between them
        // ("libnvrtc-builtins.so.12.4" → 12, 4; "python3.11" → 3, 11).
        while (i < name.Length && !char.IsAsciiDigit(name[i])) i++;
        while (i < name.Length)
        {
            int start = i;
            while (i < name.Length && char.IsAsciiDigit(name[i])) i++;
            if (i > start)
            {
                // Cap the digit count so that a huge number in a folder name cannot overflow.
                string digits = name[start..Math.Min(i, start + 9)];
                numbers.Add(int.Parse(digits, System.Globalization.CultureInfo.InvariantCulture));
            }
            if (i < name.Length && name[i] != '.') break;
            i++;
        }
        return [.. numbers];
    }
}
