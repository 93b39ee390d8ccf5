namespace WeightPort.Formats;

/// <summary>
/// What the scanner found in a file: every global outside the allowlist in every pickle of every part (those torch
/// loads and those it does not, nested pickles too), each with its part and offset, and the parts it could not read
/// to the end. Nothing was imported or called to find them.
/// </summary>
internal sealed class CheckpointScan
{
    internal CheckpointScan(string path, string container, IReadOnlyList<string> parts, IReadOnlyList<UnsafeGlobal> findings, IReadOnlyList<ScanProblem> problems)
    {
        Path = path;
        Container = container;
        Parts = parts;
        Findings = findings;
        Problems = problems;
    }

    /// <summary>The file scanned.</summary>
    public string Path { get; }

    /// <summary>What the file was taken for: "PyTorch zip", "PyTorch legacy (stacked pickles)", "plain pickle" …</summary>
    public string Container { get; }

    /// <summary>The pickles disassembled, by part name, in file order.</summary>
    public IReadOnlyList<string> Parts { get; }

    /// <summary>Every global outside the allowlist (and every allowlisted one a pickle modifies), in file order.</summary>
    public IReadOnlyList<UnsafeGlobal> Findings { get; }

    /// <summary>What could not be read; the scan went on past each.</summary>
    public IReadOnlyList<ScanProblem> Problems { get; }
}
