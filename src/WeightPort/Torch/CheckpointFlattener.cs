using System.Globalization;
using WeightPort.Pickle;

namespace WeightPort.Torch;

/// <summary>
/// Walks an unpickled object tree in pickle order and lists its tensors under dotted paths (<c>model.0.encoder.weight</c>;
/// list and tuple indices and int dict keys as numbers). Non-allowlisted globals met on the way fail the read, unless
/// they lie under an ignored subtree or the caller asked for a report; then they are recorded and their subtree skipped.
/// Iterative (no recursion), cycle-safe, with a visit budget against shared-reference blow-ups.
/// </summary>
internal sealed class CheckpointFlattener
{
    private const long MaxVisits = 50_000_000;

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

    private readonly record struct Frame(PickleValue Value, string Path, int Depth, bool Exit);

    private void Walk(PickleValue root)
    {
        var stack = new Stack<Frame>();
        stack.Push(new Frame(root, "", 0, false));
        long visits = 0;
        var children = new List<(PickleValue, string)>();
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
                        if (IsUnsafe(kv.Key)) children.Add((kv.Key, f.Path));
                        children.Add((kv.Value, Join(f.Path, KeyText(kv.Key))));
                    }
                    if (d.State is not null) children.Add((d.State, f.Path));
                    break;
                case PickleList l:
                    for (int i = 0; i < l.Items.Count; i++) children.Add((l.Items[i], Join(f.Path, i.ToString(CultureInfo.InvariantCulture))));
                    break;
                case PickleTuple t:
                    for (int i = 0; i < t.Items.Count; i++) children.Add((t.Items[i], Join(f.Path, i.ToString(CultureInfo.InvariantCulture))));
                    break;
                case PickleSet s:
                    foreach (var item in s.Items) children.Add((item, f.Path));
                    break;
                default:
                    continue;
            }
            if (children.Count == 0) continue;
            // A container that holds itself (possible through the memo) is walked once per path.
            if (!_onPath.Add(f.Value)) continue;
            stack.Push(new Frame(f.Value, f.Path, f.Depth, true));
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

    private static string Join(string parent, string key) => parent.Length == 0 ? key : parent + "." + key;

    private static string KeyText(PickleValue key) => key switch
    {
        PickleString s => s.Value,
        PickleInt i => i.Value.ToString(CultureInfo.InvariantCulture),
        PickleBool b => b.Value ? "True" : "False",
        PickleNone => "None",
        PickleFloat f => f.ToString(),
        PickleTuple t => "(" + string.Join(",", t.Items.Select(KeyText)) + ")",
        _ => "<" + key.TypeName + ">",
    };
}
