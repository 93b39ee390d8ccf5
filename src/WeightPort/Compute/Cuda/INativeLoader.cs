namespace WeightPort.Compute.Cuda;

/// <summary>Loads a shared library by file name (through the system loader) or by full path. Injected for tests.</summary>
internal interface INativeLoader
{
    /// <summary>Tries to load <paramref name="nameOrPath"/>; on failure <paramref name="error"/> says why (the loader's message).</summary>
    bool TryLoad(string nameOrPath, out IntPtr handle, out string? error);
}
