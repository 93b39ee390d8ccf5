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
    private readonly bool _collectTensors;
    private readonly List<NamedTensor> _tensors = [];
    private readonly List<UnsafeGlobal> _unsafe = [];
    private readonly HashSet<(string, long)> _recorded = [];
    private readonly HashSet<PickleGlobal> _reached = new(ReferenceEqualityComparer.Instance);
    private readonly HashSet<PickleValue> _onPath = new(ReferenceEqualityComparer.Instance);
    private Func<CheckpointFormatException>? _refusal;

    private CheckpointFlattener(CheckpointReadOptions options, int maxDepth, bool collectTensors)
    {
        _options = options;
        _maxDepth = maxDepth;
        _collectTensors = collectTensors;
    }

    /// <summary>
    /// Lists the tensors of <paramref name="root"/> and decides about every global outside the allowlist, reached or not:
    /// recorded with its path, or refused (see <see cref="CheckpointReadOptions"/>).
    /// </summary>
    /// <param name="root">The unpickled object.</param>
    /// <param name="allGlobals">Every global the pickle named, so that those it discarded are judged too.</param>
    /// <param name="options">What to refuse and what to record.</param>
    /// <param name="maxDepth">The deepest nesting walked.</param>
    /// <param name="collectTensors">False for a scan, whose tensors are not bound to any bytes.</param>
    public static (List<NamedTensor> Tensors, List<UnsafeGlobal> UnsafeGlobals) Flatten(
        PickleValue root, IEnumerable<PickleGlobal> allGlobals, CheckpointReadOptions options, int maxDepth, bool collectTensors = true)
    {
        var f = new CheckpointFlattener(options, maxDepth, collectTensors);
        f.Walk(root);
        // What the object no longer reaches (popped, consumed by an interpreted call) was still named, and called if the
        // pickle called it: torch.load would have done so before returning the object.
        foreach (var g in allGlobals)
        {
            if (g.IsUnsafe && !f._reached.Contains(g)) f.Unsafe(g, g.Offset, g.Entry, null, g.Use, g.UsedBy, reachable: false);
        }
        if (f._refusal is not null) throw f._refusal();
        return (f._tensors, f._unsafe);
    }

    // Inside: within a foreign object's arguments or state, whose tensors belong to that object, not to the checkpoint.
    private readonly record struct Frame(PickleValue Value, PathNode? Node, int Depth, bool Exit, bool Inside)
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
        stack.Push(new Frame(root, null, 0, false, false));
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

            bool inside = f.Inside;
            children.Clear();
            switch (f.Value)
            {
                case PickleTensor t:
                    if (_collectTensors && !inside) _tensors.Add(new NamedTensor(f.Path, t.Tensor));
                    continue;
                case PickleGlobal g:
                    if (!g.IsUnsafe) continue;
                    _reached.Add(g);
                    Unsafe(g, g.Offset, g.Entry, f.Path, g.Use, g.UsedBy, reachable: true);
                    if (g.State is null) continue;
                    children.Add((g.State, f.Node));
                    inside = true;
                    break;
                case PickleObject o:
                    var og = o.Global;
                    if (og is not null) _reached.Add(og);
                    Unsafe(og, og?.Offset ?? o.Offset, og?.Entry ?? o.Entry, f.Path,
                        o.IsInstance && o.Callable is PickleGlobal ? UnsafeGlobalUse.Instantiated : UnsafeGlobalUse.Called, o.Opcode, reachable: true);
                    // Its arguments and state are walked for the globals they name (under the object's path), not for tensors.
                    if (o.Callable is PickleObject) children.Add((o.Callable, f.Node));
                    children.Add((o.Arguments, f.Node));
                    if (o.State is not null) children.Add((o.State, f.Node));
                    foreach (var item in o.Items) children.Add((item, f.Node));
                    inside = true;
                    break;
                case PickleDict d:
                    foreach (var kv in d.Items)
                    {
                        if (kv.Key is PickleObject or PickleGlobal { IsUnsafe: true }) children.Add((kv.Key, f.Node));
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
            stack.Push(new Frame(f.Value, f.Node, f.Depth, true, f.Inside));
            for (int i = children.Count - 1; i >= 0; i--) stack.Push(new Frame(children[i].Item1, children[i].Item2, f.Depth + 1, false, inside));
        }
    }

    /// <summary>Records a global outside the allowlist, or notes the refusal of the read (naming it, what the pickle does with it and where).</summary>
    /// <param name="g">The global (null when a call's callable is no global at all).</param>
    /// <param name="offset">Where it was named or called.</param>
    /// <param name="entry">The part that offset is in.</param>
    /// <param name="path">The object path; null when the object does not reach it.</param>
    /// <param name="use">What the pickle does with it.</param>
    /// <param name="opcode">The opcode of that use.</param>
    /// <param name="reachable">False for a global the object does not reach.</param>
    private void Unsafe(PickleGlobal? g, long offset, string entry, string? path, UnsafeGlobalUse use, string? opcode, bool reachable)
    {
        string module = g?.Module ?? "?", name = g?.Name ?? "?";
        string at = path ?? "";
        bool isCall = use >= UnsafeGlobalUse.Modified;
        if (_options.ReportUnsafeGlobals || (reachable && IsIgnored(at)) || (_options.AllowForeignObjects && !isCall && g is not { IsAllowlisted: true }))
        {
            if (_recorded.Add((entry, offset))) _unsafe.Add(new UnsafeGlobal(module, name, at, entry, offset) { Use = use });
            return;
        }
        // The first refusal is thrown once the whole object is walked, when the ignore hint can name a subtree without tensors.
        _refusal ??= () => Refusal(g, offset, entry, at, use, opcode, reachable);
    }

    private CheckpointFormatException Refusal(PickleGlobal? g, long offset, string entry, string at, UnsafeGlobalUse use, string? opcode, bool reachable)
    {
        string name = g?.Name ?? "?";
        string fullName = g?.FullName ?? "?";
        string where = !reachable ? "outside the object (the pickle discards it after use)"
            : at.Length == 0 ? "at the root of the checkpoint" : $"under '{at}'";
        var key = at.Length == 0 ? null : at;
        if (g is { IsAllowlisted: true } && use != UnsafeGlobalUse.Modified)
            return new CheckpointFormatException(CheckpointError.MalformedPickle,
                $"'{fullName}' is allowlisted but not as a constructor with these arguments; it was called {where}",
                offset: offset, key: key, entry: entry);
        string dynamic = g is { IsDynamic: true } ? $" (a STACK_GLOBAL of {name}: the callable is only known when the pickle runs)" : "";
        string subtree = SubtreeWithoutTensors(at);
        string skip = at.Length > 0 && reachable ? $"; if '{subtree}' is not needed, add '{subtree}' to {_options.IgnoreOptionName} to read the rest" : "";
        // The exception's own prefix says the entry and offset; the reason says what the pickle does and where in the object.
        string reason = use switch
        {
            UnsafeGlobalUse.Called =>
                $"'{fullName}'{dynamic} is called ({opcode}) {where}: a pickle that calls a function outside the allowlist runs code when torch.load " +
                $"opens it. WeightPort never imports or calls it; {ReportOption} lists every callable{skip}",
            UnsafeGlobalUse.Modified =>
                $"'{fullName}'{dynamic} has attributes set (BUILD) {where}: a pickle that changes a module-level object prepares a payload. " +
                $"WeightPort never imports or changes it; {ReportOption} lists every callable{skip}",
            _ =>
                $"global '{fullName}'{dynamic} is not allowlisted ({(use == UnsafeGlobalUse.Instantiated ? "an instance made with NEWOBJ" : "named")}) {where}. " +
                "WeightPort never imports or calls it" +
                (skip.Length > 0 ? skip : at.Length == 0 && reachable ? "; it is the checkpoint object itself, so nothing else can be read" : ""),
        };
        return new CheckpointFormatException(CheckpointError.UnsafeGlobal, reason, offset: offset, key: key, entry: entry);
    }

    // The shortest prefix of the path that holds no tensor: what a user would ignore ('vocab' rather than 'vocab.0.1').
    private string SubtreeWithoutTensors(string path)
    {
        for (int dot = path.IndexOf('.'); dot >= 0; dot = path.IndexOf('.', dot + 1))
        {
            string prefix = path[..dot];
            if (!_tensors.Any(t => t.Path == prefix || t.Path.StartsWith(prefix + ".", StringComparison.Ordinal))) return prefix;
        }
        return path;
    }

    private const string ReportOption = CheckpointReadOptions.ReportUnsafeGlobalsOption;

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
