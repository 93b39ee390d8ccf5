namespace Ulmfit;

/// <summary>
/// fastbook's "human numbers" corpus as tools/make_human_numbers.py writes it: train.txt and valid.txt with one
/// number in words per line. The language-model text joins the lines with " . "; the classification task asks
/// whether a number is even.
/// </summary>
public sealed class HumanNumbers
{
    /// <summary>fastai's special tokens, in fastai's order (xxpad is 1, the pad index).</summary>
    public static readonly string[] Specials = ["xxunk", "xxpad", "xxbos", "xxeos"];

    private HumanNumbers(IReadOnlyList<string> train, IReadOnlyList<string> valid, int firstValid)
    {
        Train = train;
        Valid = valid;
        FirstValidNumber = firstValid;
        var words = train.Concat(valid).SelectMany(Words).Append(".").Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal);
        Vocabulary = [.. Specials, .. words];
        _index = Vocabulary.Select((w, i) => (w, i)).ToDictionary(p => p.w, p => (long)p.i, StringComparer.Ordinal);
    }

    private readonly Dictionary<string, long> _index;

    /// <summary>Training lines (numbers 1…8000 by default).</summary>
    public IReadOnlyList<string> Train { get; }

    /// <summary>Validation lines (8001…9999).</summary>
    public IReadOnlyList<string> Valid { get; }

    /// <summary>The number the first validation line spells.</summary>
    public int FirstValidNumber { get; }

    /// <summary>itos: the specials, then every word and "." in ordinal order.</summary>
    public IReadOnlyList<string> Vocabulary { get; }

    /// <summary>Reads train.txt and valid.txt from <paramref name="folder"/>.</summary>
    /// <exception cref="FileNotFoundException">A file is missing (run tools/make_human_numbers.py).</exception>
    public static HumanNumbers Load(string folder)
    {
        string train = Path.Combine(folder, "train.txt"), valid = Path.Combine(folder, "valid.txt");
        foreach (var f in new[] { train, valid })
            if (!File.Exists(f)) throw new FileNotFoundException($"'{f}' is missing; run: python3 tools/make_human_numbers.py {folder}", f);
        var t = File.ReadAllLines(train).Select(l => l.Trim()).Where(l => l.Length > 0).ToList();
        var v = File.ReadAllLines(valid).Select(l => l.Trim()).Where(l => l.Length > 0).ToList();
        return new HumanNumbers(t, v, t.Count + 1);
    }

    /// <summary>The language-model token stream of <paramref name="lines"/>: xxbos, then the lines joined by ".".</summary>
    public long[] Stream(IReadOnlyList<string> lines)
    {
        var ids = new List<long> { _index["xxbos"] };
        for (int i = 0; i < lines.Count; i++)
        {
            if (i > 0) ids.Add(_index["."]);
            ids.AddRange(Words(lines[i]).Select(w => _index[w]));
        }
        return [.. ids];
    }

    /// <summary>One text for the classifier: xxbos and the number's words.</summary>
    public long[] Text(string line) => [_index["xxbos"], .. Words(line).Select(w => _index[w])];

    private static string[] Words(string line) => line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
}
