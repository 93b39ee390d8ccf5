namespace WeightPort.Tests.Infrastructure;

/// <summary>Where the repository, its fixtures and the shared conformance corpus are.</summary>
public static class TestPaths
{
    private static readonly Lazy<string> Root = new(() =>
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "WeightPort.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("WeightPort.sln not found above " + AppContext.BaseDirectory);
    });

    /// <summary>The repository root (the folder holding WeightPort.sln).</summary>
    public static string RepoRoot => Root.Value;

    /// <summary>The committed fixtures folder.</summary>
    public static string Fixtures => Path.Combine(RepoRoot, "fixtures");

    /// <summary>
    /// The conformance corpus: <c>WEIGHTPORT_CORPUS</c>, else <c>../shared/corpus</c> beside the repository. Missing
    /// corpus is a failure, never a skip: these tests must not pass by not running.
    /// </summary>
    public static string Corpus
    {
        get
        {
            string dir = Environment.GetEnvironmentVariable("WEIGHTPORT_CORPUS") is { Length: > 0 } env
                ? env
                : Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared", "corpus"));
            if (!File.Exists(Path.Combine(dir, "EXPECTED.json")))
                throw new InvalidOperationException($"conformance corpus not found at '{dir}' (set WEIGHTPORT_CORPUS)");
            return dir;
        }
    }

    /// <summary>A file in the corpus by its relative path (e.g. <c>pytorch-zip/candle_test.pt</c>).</summary>
    public static string CorpusFile(string relative) => Path.Combine(Corpus, relative);

    /// <summary>Debian's python3 with torch; tests that need it fail (not skip) when it is absent.</summary>
    public static string Python => Environment.GetEnvironmentVariable("WEIGHTPORT_PYTHON") is { Length: > 0 } p ? p : "/usr/bin/python3";
}
