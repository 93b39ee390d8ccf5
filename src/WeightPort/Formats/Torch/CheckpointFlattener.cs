using System.Globalization;
using WeightPort.Formats.Pickle;

namespace WeightPort.Formats.Torch;

/// <summary>
/// Walks an unpickled object tree in pickle order and lists its tensors under dotted paths (<c>model.0.encoder.weight</c>;
/// list and tuple indices and int dict keys as numbers). Non-allowlisted globals met on the way fail the read, unless
/// they lie under an ignored subtree or the caller asked for a report; then they are recorded and their subtree skipped.
/// Iterative (no recursion), cycle-safe, with a visit budget against shared-reference blow-ups. Paths are chains of
/// small nodes, spelled out only for the tensors and globals recorded, and capped in length: building every prefix as a
/// string made nested dicts under a long memoized key cost the square of the depth (gigabytes from a 50 KB pickle).
/// </summary>
internal sealed class CheckpointFlattener
{
    // Each visit allocates one small path node. One million bound a shared-reference bomb (each list holding the previous
    // one twice) to about 40 MB allocated; ten million let a 1 KB input allocate 400 MB. A real checkpoint, optimizer
    // state included, has thousands of reachable paths, not hundreds of thousands.
    private const long MaxVisits = 1_000_000;
    // Far above any real state-dict path (a few hundred characters), far below what nesting could otherwise build.
    internal const int MaxPathLength = 4096;
    private const int MaxKeyNesting = 64;

    private readonly CheckpointReadOptions _options;
    private readonly int _maxDepth;
    private readonly List<NamedTensor> _tensors = [];
    private readonly List<UnsafeGlobal> _unsafe = [];
    private readonly HashSet<PickleValue> _onPath = new(ReferenceEqualityComparer.Instance);

    private CheckpointFlattener(CheckpointReadOptions options, int maxDepth)
    {
        _options = options;
        _maxDepth = maxDepth;
    }

    public static (List<NamedTensor> Tensors, List<UnsafeGlobal> UnsafeGlobals) Flatten(
        PickleValue root, IEnumerable<PickleGlobal> allGlobals, CheckpointReadOptions options, int maxDepth)
    {
        var f = new CheckpointFlattener(options, maxDepth);
        f.Walk(root);
        if (options.ReportUnsafeGlobals)
        {
            // Scanner mode: also list globals the tree no longer reaches (consumed or popped), with an empty path.
            var seen = new HashSet<(string, long)>(f._unsafe.Select(u => (u.Entry, u.Offset)));
            foreach (var g in allGlobals)
                if (!g.IsAllowlisted && seen.Add((g.Entry, g.Offset))) f._unsafe.Add(new UnsafeGlobal(g.Module, g.Name, "", g.Entry, g.Offset));
        }
        return (f._tensors, f._unsafe);
    }

    private readonly record struct Frame(PickleValue Value, PathNode? Node, int Depth, bool Exit)
    {
        public string Path => PathNode.Spell(Node);
    }

    /// <summary>One step of a dotted path: the parent and the key text (an index is kept as a number until spelled).</summary>
    private sealed class PathNode
    {
        private readonly PathNode? _parent;
        private readonly string? _key;
        private readonly int _index;

        private PathNode(PathNode? parent, string? key, int index, int keyLength)
        {
            _parent = parent;
            _key = key;
            _index = index;
            Length = (parent is null ? 0 : parent.Length + 1) + keyLength;
            if (Length > MaxPathLength)
                throw new CheckpointFormatException(CheckpointError.LimitExceeded,
                    $"an object path is longer than {MaxPathLength:N0} characters (objects nested under long keys?): '{Spell(parent, 200)}…'");
        }

        public int Length { get; }

        public static PathNode Key(PathNode? parent, string key) => new(parent, key, 0, key.Length);

        public static PathNode Index(PathNode? parent, int index)
        {
            int digits = 1;
            for (int rest = index; rest >= 10; rest /= 10) digits++;
            return new(parent, null, index, digits);
        }

        public static string Spell(PathNode? node, int max = int.MaxValue)
        {
            if (node is null) return "";
            var chars = new char[node.Length];
            for (var n = node; n is not null; n = n._parent)
            {
                int end = n.Length;
                string text = n._key ?? n._index.ToString(CultureInfo.InvariantCulture);
                text.CopyTo(0, chars, end - text.Length, text.Length);
                if (n._parent is not null) chars[end - text.Length - 1] = '.';
            }
            return new string(chars, 0, Math.Min(chars.Length, max));
        }
    }

    private void Walk(PickleValue root)
    {
        var stack = new Stack<Frame>();
        stack.Push(new Frame(root, null, 0, false));
        long visits = 0;
        var children = new List<(PickleValue, PathNode?)>();
        while (stack.Count > 0)
        {
            var f = stack.Pop();
            if (f.Exit) { _onPath.Remove(f.Value); continue; }
            if (++visits > MaxVisits)
                throw new CheckpointFormatException(CheckpointError.LimitExceeded, $"the object tree has more than {MaxVisits:N0} reachable paths (shared references multiplied?)");
            if (f.Depth > _maxDepth)
                throw new CheckpointFormatException(CheckpointError.LimitExceeded, $"objects nest deeper than {_maxDepth:N0} levels", key: f.Path);

            switch (f.Value)
            {
                case PickleTensor t:
                    _tensors.Add(new NamedTensor(f.Path, t.Tensor));
                    continue;
                case PickleGlobal { IsAllowlisted: false } g:
                    Unsafe(g, g.Offset, g.Entry, f.Path);
                    continue;
                case PickleObject o:
                    var og = o.Global;
                    Unsafe(og, og?.Offset ?? o.Offset, og?.Entry ?? o.Entry, f.Path);
                    continue;
            }

            children.Clear();
            switch (f.Value)
            {
                case PickleDict d:
                    foreach (var kv in d.Items)
                    {
                        if (IsUnsafe(kv.Key)) children.Add((kv.Key, f.Node));
                        children.Add((kv.Value, PathNode.Key(f.Node, KeyText(kv.Key))));
                    }
                    if (d.State is not null) children.Add((d.State, f.Node));
                    break;
                case PickleList l:
                    for (int i = 0; i < l.Items.Count; i++) children.Add((l.Items[i], PathNode.Index(f.Node, i)));
                    break;
                case PickleTuple t:
                    for (int i = 0; i < t.Items.Count; i++) children.Add((t.Items[i], PathNode.Index(f.Node, i)));
                    break;
                case PickleSet s:
                    foreach (var item in s.Items) children.Add((item, f.Node));
                    break;
                default:
                    continue;
            }
            if (children.Count == 0) continue;
            // A container that holds itself (possible through the memo) is walked once per path.
            if (!_onPath.Add(f.Value)) continue;
            stack.Push(new Frame(f.Value, f.Node, f.Depth, true));
            for (int i = children.Count - 1; i >= 0; i--) stack.Push(new Frame(children[i].Item1, children[i].Item2, f.Depth + 1, false));
        }
    }

    private static bool IsUnsafe(PickleValue v) => v is PickleObject or PickleGlobal { IsAllowlisted: false };

    private void Unsafe(PickleGlobal? g, long offset, string entry, string path)
    {
        string module = g?.Module ?? "?", name = g?.Name ?? "?";
        if (_options.ReportUnsafeGlobals || IsIgnored(path))
        {
            _unsafe.Add(new UnsafeGlobal(module, name, path, entry, offset));
            return;
        }
        string where = path.Length == 0 ? "at the root of the checkpoint" : $"under '{path}'";
        if (g is { IsAllowlisted: true })
            throw new CheckpointFormatException(CheckpointError.MalformedPickle,
                $"'{module}.{name}' is allowlisted but not as a constructor with these arguments; it was called at offset {offset:N0} in '{entry}' {where}",
                offset: offset, key: path.Length == 0 ? null : path, entry: entry);
        throw new CheckpointFormatException(CheckpointError.UnsafeGlobal,
            $"global '{module}.{name}' is not allowlisted; it was found at offset {offset:N0} in '{entry}' {where}. " +
            "WeightPort never imports or calls it; pass the path as an ignored subtree if its content is not needed",
            offset: offset, key: path.Length == 0 ? null : path, entry: entry);
    }

    private bool IsIgnored(string path)
    {
        foreach (var ignored in _options.IgnoredSubtrees)
        {
            if (path == ignored || (path.StartsWith(ignored, StringComparison.Ordinal) && path.Length > ignored.Length && path[ignored.Length] == '.'))
                return true;
        }
        return false;
    }

    private static string KeyText(PickleValue key)
    {
        if (key is PickleString s) return s.Value;
        var text = new System.Text.StringBuilder();
        AppendKey(text, key, 0);
        return text.ToString();
    }

    // Bounded in length and in recursion: a tuple key nested thousands deep overflowed the stack.
    private static void AppendKey(System.Text.StringBuilder text, PickleValue key, int depth)
    {
        if (text.Length > MaxPathLength || depth > MaxKeyNesting)
            throw new CheckpointFormatException(CheckpointError.LimitExceeded,
                $"a dict key is longer than {MaxPathLength:N0} characters or nests tuples deeper than {MaxKeyNesting} levels");
        switch (key)
        {
            case PickleString s: text.Append(s.Value); break;
            case PickleInt i: text.Append(i.Value.ToString(CultureInfo.InvariantCulture)); break;
            case PickleBool b: text.Append(b.Value ? "True" : "False"); break;
            case PickleNone: text.Append("None"); break;
            case PickleFloat f: text.Append(f.ToString()); break;
            case PickleTuple t:
                text.Append('(');
                for (int i = 0; i < t.Items.Count; i++)
                {
                    if (i > 0) text.Append(',');
                    AppendKey(text, t.Items[i], depth + 1);
                }
                text.Append(')');
                break;
            default: text.Append('<').Append(key.TypeName).Append('>'); break;
        }
    }
}
