using System.Collections.Frozen;
using System.Text.Json;
using WeightPort.Formats.Pickle;

namespace WeightPort.Model;

/// <summary>
/// A fastai vocabulary (<c>itos</c>: id → token) with its reverse map. As fastai's <c>defaultdict</c>-based
/// <c>stoi</c>/<c>o2i</c>, a duplicated token maps to its last id, and an unknown token to the unknown id.
/// </summary>
public sealed class Vocabulary
{
    /// <summary>Unknown-token spellings, fastai ≥ 1.0 first, then v0.7.</summary>
    private static readonly string[] UnknownTokens = ["xxunk", "_unk_"];

    /// <summary>Padding spellings, fastai ≥ 1.0 first, then v0.7.</summary>
    private static readonly string[] PadTokens = ["xxpad", "_pad_"];

    private readonly string[] _itos;
    private readonly FrozenDictionary<string, int> _stoi;

    /// <summary>Builds the vocabulary from the id-ordered token list.</summary>
    /// <exception cref="ArgumentException">A token is null.</exception>
    public Vocabulary(IEnumerable<string> itos)
    {
        ArgumentNullException.ThrowIfNull(itos);
        _itos = itos.ToArray();
        var stoi = new Dictionary<string, int>(_itos.Length, StringComparer.Ordinal);
        for (int i = 0; i < _itos.Length; i++)
            stoi[_itos[i] ?? throw new ArgumentException($"token {i} is null", nameof(itos))] = i;
        _stoi = stoi.ToFrozenDictionary(StringComparer.Ordinal);
        UnknownId = FirstOf(UnknownTokens) ?? 0;
        PadId = FirstOf(PadTokens);
    }

    /// <summary>
    /// Reads a vocabulary file: fastai's pickled <c>itos</c> (a list of str, e.g. <c>itos_wt103.pkl</c>; read with the
    /// allowlist unpickler, nothing is run) or the JSON array that a conversion writes beside the weights
    /// (<c>OUTPUT.vocab.json</c>).
    /// </summary>
    /// <param name="path">The file.</param>
    /// <exception cref="CheckpointFormatException">The file is neither a pickled list of strings nor a JSON array of strings.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public static Vocabulary Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        byte[] bytes = File.ReadAllBytes(path);
        int first = Array.FindIndex(bytes, b => b is not ((byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n'));
        if (first < 0 || bytes[first] != (byte)'[') return new Vocabulary(PickleReader.ReadStringList(path));
        try
        {
            return new Vocabulary(JsonSerializer.Deserialize(bytes, VocabularyJsonContext.Default.StringArray) ?? []);
        }
        catch (JsonException e)
        {
            throw new CheckpointFormatException(CheckpointError.InvalidContent, $"not a JSON array of strings: {e.Message}", path, offset: e.BytePositionInLine, inner: e);
        }
        catch (ArgumentException e)
        {
            throw new CheckpointFormatException(CheckpointError.InvalidContent, e.Message, path, inner: e);
        }
    }

    private int? FirstOf(string[] names)
    {
        foreach (string name in names)
            if (_stoi.TryGetValue(name, out int id)) return id;
        return null;
    }

    /// <summary>Number of ids.</summary>
    public int Count => _itos.Length;

    /// <summary>The tokens in id order.</summary>
    public IReadOnlyList<string> Itos => _itos;

    /// <summary>The id given to tokens not in the vocabulary: <c>xxunk</c> or <c>_unk_</c>, else 0 (fastai's default).</summary>
    public int UnknownId { get; }

    /// <summary>The id of <c>xxpad</c> or <c>_pad_</c>, if present.</summary>
    public int? PadId { get; }

    /// <summary>The id of <paramref name="token"/>, or <see cref="UnknownId"/>.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="token"/> is null.</exception>
    public int ToId(string token)
    {
        ArgumentNullException.ThrowIfNull(token);
        return _stoi.TryGetValue(token, out int id) ? id : UnknownId;
    }

    /// <summary>The id of <paramref name="token"/>, if it is in the vocabulary.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="token"/> is null.</exception>
    public bool TryGetId(string token, out int id)
    {
        ArgumentNullException.ThrowIfNull(token);
        return _stoi.TryGetValue(token, out id);
    }

    /// <summary>The token with id <paramref name="id"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="id"/> is outside [0, Count).</exception>
    public string ToToken(int id)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(id);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(id, _itos.Length);
        return _itos[id];
    }

    /// <summary>Ids for already tokenized text (fastai's tokenizer is not reproduced); unknown tokens get <see cref="UnknownId"/>.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="tokens"/> or one of them is null.</exception>
    public int[] Encode(IReadOnlyList<string> tokens)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        var ids = new int[tokens.Count];
        for (int i = 0; i < ids.Length; i++) ids[i] = ToId(tokens[i]);
        return ids;
    }

    /// <summary>Tokens for ids.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An id is outside [0, Count).</exception>
    public string[] Decode(ReadOnlySpan<int> ids)
    {
        var tokens = new string[ids.Length];
        for (int i = 0; i < ids.Length; i++) tokens[i] = ToToken(ids[i]);
        return tokens;
    }
}
