using WeightPort.Formats.Pickle;

namespace WeightPort.Formats.Torch;

/// <summary>
/// The rule for pickles where torch writes no global outside the allowlist (legacy header pickles, a tar's
/// <c>sys_info</c> and header pickles, any pickle in a zip besides <c>data.pkl</c>): no ignored subtree and no viewer
/// mode makes one acceptable there, since such a part has no content a reader needs; a scan records it.
/// </summary>
internal static class HeaderGlobals
{
    /// <summary>Records the non-allowlisted globals of a part in <paramref name="found"/> (scanner mode), or refuses the read naming the worst.</summary>
    /// <param name="globals">Every global the part's pickle named.</param>
    /// <param name="options">Whether this is a scan.</param>
    /// <param name="found">Where a scan records them.</param>
    /// <param name="context">Why a global is out of place there, for the message.</param>
    /// <exception cref="CheckpointFormatException">A global outside the allowlist, and this is no scan.</exception>
    public static void Check(IReadOnlyList<PickleGlobal> globals, CheckpointReadOptions options, List<UnsafeGlobal> found, string context)
    {
        var unsafeGlobals = globals.Where(g => g.IsUnsafe).ToList();
        if (unsafeGlobals.Count == 0) return;
        if (options.ReportUnsafeGlobals)
        {
            foreach (var g in unsafeGlobals) found.Add(new UnsafeGlobal(g.Module, g.Name, "", g.Entry, g.Offset) { Use = g.Use });
            return;
        }
        var worst = unsafeGlobals.First(g => g.Use == unsafeGlobals.Max(x => x.Use));
        var others = unsafeGlobals.Where(g => g != worst).Select(g => g.FullName).Distinct(StringComparer.Ordinal).ToList();
        throw new CheckpointFormatException(CheckpointError.UnsafeGlobal,
            $"this pickle {Doing(worst)} {context}. WeightPort never imports or calls it; " +
            $"{CheckpointReadOptions.ReportUnsafeGlobalsOption} lists every callable" +
            (others.Count == 0 ? "" : $" (also outside the allowlist there: {string.Join(", ", others.Select(n => "'" + n + "'"))})"),
            offset: worst.Offset, entry: worst.Entry);
    }

    /// <summary>What the pickle does with <paramref name="g"/>, as a verb phrase: "calls 'posix.system' (REDUCE)".</summary>
    public static string Doing(PickleGlobal g) => g.Use switch
    {
        UnsafeGlobalUse.Called => $"calls '{g.FullName}' ({g.UsedBy})",
        UnsafeGlobalUse.Modified => $"sets attributes of '{g.FullName}' (BUILD)",
        UnsafeGlobalUse.Instantiated => $"makes an instance of '{g.FullName}' (NEWOBJ)",
        _ => $"names the global '{g.FullName}'",
    };
}
