namespace WeightPort.Formats.Pickle;

/// <summary>
/// A Python <c>dict</c>, <c>collections.OrderedDict</c> or <c>collections.Counter</c>: its items in insertion order.
/// Keys are compared as Python would for the scalar key types (str, int, bool, float, None, bytes); a repeated key
/// replaces the value in place, keeping its first position.
/// </summary>
internal sealed class PickleDict : PickleValue
{
    private readonly List<KeyValuePair<PickleValue, PickleValue>> _items = [];
    private readonly Dictionary<object, int> _index = [];

    /// <summary>Creates an empty dict of the given Python type.</summary>
    /// <param name="pythonType"><c>dict</c>, <c>collections.OrderedDict</c> or <c>collections.Counter</c>.</param>
    public PickleDict(string pythonType = "dict") => PythonType = pythonType;

    /// <summary><c>dict</c>, <c>collections.OrderedDict</c> or <c>collections.Counter</c>.</summary>
    public string PythonType { get; }

    /// <summary>The items in insertion order.</summary>
    public IReadOnlyList<KeyValuePair<PickleValue, PickleValue>> Items => _items;

    /// <summary>Attributes set by a BUILD (an OrderedDict's <c>_metadata</c>); kept, never interpreted.</summary>
    public PickleValue? State { get; internal set; }

    /// <summary>The value for a string key, or null.</summary>
    public PickleValue? this[string key] => _index.TryGetValue(key, out int i) ? _items[i].Value : null;

    /// <inheritdoc />
    public override string TypeName => PythonType;

    internal void Set(PickleValue key, PickleValue value)
    {
        object? k = KeyOf(key);
        if (k is not null && _index.TryGetValue(k, out int i))
        {
            _items[i] = new(_items[i].Key, value);
            return;
        }
        if (k is not null) _index[k] = _items.Count;
        _items.Add(new(key, value));
    }

    // Python hashes equal numbers equally (1 == 1.0 == True); strings and bytes by content; other keys by identity.
    private static object? KeyOf(PickleValue key) => key switch
    {
        PickleString s => s.Value,
        PickleInt i => i.Value,
        PickleBool b => new System.Numerics.BigInteger(b.Value ? 1 : 0),
        PickleFloat f when double.IsInteger(f.Value) && Math.Abs(f.Value) < 1e300 => new System.Numerics.BigInteger(f.Value),
        PickleFloat f => f.Value,
        PickleNone => PickleNone.Instance,
        PickleBytes b => Convert.ToHexString(b.Value.Span) + (b.IsByteArray ? "#ba" : "#b"),
        _ => null,
    };

    /// <inheritdoc />
    public override string ToString() => $"{PythonType}[{Items.Count}]";
}
