namespace WeightPort.Formats.Pickle;

/// <summary>
/// A node of the symbolic object tree an unpickled stream becomes. Nothing in the tree was ever executed: globals are
/// names, and calls of allowlisted functions are interpreted, not run. Containers are shared by reference exactly as the
/// pickle's memo shares them.
/// </summary>
internal abstract class PickleValue
{
    /// <summary>A short name of the Python type this node stands for (<c>dict</c>, <c>int</c>, <c>tensor</c> …), for messages.</summary>
    public abstract string TypeName { get; }

    /// <summary>The node as a message names it, with its article: "an int", "a dict", "None".</summary>
    public virtual string Described => WithArticle(TypeName);

    /// <summary>"an int", "a str": the indefinite article English wants before <paramref name="noun"/>.</summary>
    public static string WithArticle(string noun) =>
        noun.Length > 0 && "aeiouAEIOU".Contains(noun[0], StringComparison.Ordinal) ? "an " + noun : "a " + noun;
}
