using WeightPort.Compute.Cuda;

namespace WeightPort.Tests.Compute.Cuda;

/// <summary>A loader that accepts only the names it was told about, and records every attempt in order.</summary>
internal sealed class FakeNativeLoader : INativeLoader
{
    private readonly Dictionary<string, string?> _outcomes = new(StringComparer.Ordinal);

    public List<string> Attempts { get; } = [];

    /// <summary>Makes <paramref name="nameOrPath"/> load.</summary>
    public FakeNativeLoader Accept(string nameOrPath)
    {
        _outcomes[nameOrPath] = null;
        return this;
    }

    /// <summary>Makes <paramref name="nameOrPath"/> fail with <paramref name="error"/> (a file that exists but is broken).</summary>
    public FakeNativeLoader Reject(string nameOrPath, string error)
    {
        _outcomes[nameOrPath] = error;
        return this;
    }

    public bool TryLoad(string nameOrPath, out IntPtr handle, out string? error)
    {
        Attempts.Add(nameOrPath);
        if (_outcomes.TryGetValue(nameOrPath, out string? failure) && failure is null)
        {
            handle = new IntPtr(0x1000 + Attempts.Count);
            error = null;
            return true;
        }
        handle = IntPtr.Zero;
        error = failure ?? $"{nameOrPath}: cannot open shared object file: No such file or directory";
        return false;
    }
}
