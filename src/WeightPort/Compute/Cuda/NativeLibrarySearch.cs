using System.Globalization;
using System.Text;

namespace WeightPort.Compute.Cuda;

/// <summary>
/// Finds the CUDA libraries without Python, a toolkit on the loader path, or configuration: first the system loader
/// (ld.so.cache, <c>LD_LIBRARY_PATH</c>) by soname, then, in order, the folders listed in <c>WEIGHTPORT_CUDA_LIBS</c>,
/// <c>CUDA_HOME</c>/<c>CUDA_PATH</c>, <c>CONDA_PREFIX</c>, <c>/usr/local/cuda</c> and <c>/usr/local/cuda-*</c> (newest
/// first), the distribution's library folders, and the nvidia wheels PyTorch installs into every Python site-packages
/// folder found. <see cref="Plan"/> is pure over an <see cref="IFileSystemProbe"/>.
/// </summary>
internal static class NativeLibrarySearch
{
    /// <summary>Colon-separated folders searched before everything else.</summary>
    public const string OverrideVariable = "WEIGHTPORT_CUDA_LIBS";

    private static readonly string[] DriverFolders =
    [
        "/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64", "/usr/lib", "/usr/lib/wsl/lib", "/run/opengl-driver/lib",
    ];

    private static readonly string[] SystemLibraryFolders = ["/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64"];

    /// <summary>Lists what to try, in order, and every place covered.</summary>
    public static LibrarySearchPlan Plan(NativeLibrarySpec spec, IFileSystemProbe probe)
    {
        var candidates = new List<LibraryCandidate>();
        var places = new List<string>
        {
            "the system loader (ld.so.cache, LD_LIBRARY_PATH) for " + string.Join(", ", spec.Files.Select(f => f.Name)),
        };
        foreach (LibraryFile file in spec.Files) candidates.Add(new LibraryCandidate(file, null));

        foreach (string folder in Folders(spec, probe))
        {
            places.Add(folder);
            foreach (LibraryFile file in spec.Files)
            {
                if (probe.FileExists(Path.Combine(folder, file.Name))) candidates.Add(new LibraryCandidate(file, folder));
            }
        }
        return new LibrarySearchPlan(candidates, places);
    }

    /// <summary>
    /// Loads the first candidate of <see cref="Plan"/> that the loader accepts, companions first.
    /// </summary>
    /// <exception cref="CudaUnavailableException">No candidate loaded; the message lists the places searched and why files that exist failed.</exception>
    public static LoadedLibrary Load(NativeLibrarySpec spec, IFileSystemProbe probe, INativeLoader loader)
    {
        LibrarySearchPlan plan = Plan(spec, probe);
        var failures = new List<string>();
        foreach (LibraryCandidate candidate in plan.Candidates)
        {
            if (candidate.Directory is not null && candidate.File.CompanionPattern is { } pattern)
            {
                // Newest companion first (libnvrtc-builtins.so.12.8 before .12.4): NVRTC asks for its own exact version,
                // and any already-loaded one with that soname satisfies it.
                foreach (string companion in probe.GetFiles(candidate.Directory, pattern).OrderByDescending(p => p, VersionedNameComparer.Instance))
                {
                    loader.TryLoad(companion, out _, out _);
                }
            }
            if (loader.TryLoad(candidate.NameOrPath, out IntPtr handle, out string? error))
                return new LoadedLibrary(handle, candidate.NameOrPath, candidate.File.Name);
            // A bare name the system loader does not know is the normal case, not worth reporting; a file that exists
            // and still fails (missing dependency, wrong architecture) is.
            if (candidate.Directory is not null) failures.Add($"{candidate.NameOrPath}: {error}");
        }

        var message = new StringBuilder();
        message.Append(CultureInfo.InvariantCulture, $"{spec.DisplayName} {string.Join(" / ", spec.Files.Select(f => f.Name))} not found (searched: {string.Join("; ", plan.Places)})");
        if (failures.Count > 0) message.Append(CultureInfo.InvariantCulture, $"; found but failed to load: {string.Join("; ", failures)}");
        message.Append(": ").Append(spec.Hint);
        throw new CudaUnavailableException(spec.IsDriver ? "no CUDA driver found" : $"{spec.DisplayName} not found", message.ToString());
    }

    /// <summary>The folders searched after the system loader, in order, without duplicates.</summary>
    internal static IReadOnlyList<string> Folders(NativeLibrarySpec spec, IFileSystemProbe probe)
    {
        var folders = new List<string>();
        void Add(string? folder)
        {
            if (string.IsNullOrEmpty(folder)) return;
            string normalized = folder.Length > 1 ? folder.TrimEnd('/') : folder;
            if (!folders.Contains(normalized, StringComparer.Ordinal)) folders.Add(normalized);
        }

        if (probe.GetEnvironmentVariable(OverrideVariable) is { } overrides)
        {
            foreach (string folder in overrides.Split(':', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)) Add(folder);
        }

        if (spec.IsDriver)
        {
            foreach (string folder in DriverFolders) Add(folder);
            return folders;
        }

        foreach (string variable in (string[])["CUDA_HOME", "CUDA_PATH"])
        {
            if (probe.GetEnvironmentVariable(variable) is { } root)
            {
                Add(Path.Combine(root, "lib64"));
                Add(Path.Combine(root, "lib"));
            }
        }
        if (probe.GetEnvironmentVariable("CONDA_PREFIX") is { } conda) Add(Path.Combine(conda, "lib"));

        Add("/usr/local/cuda/lib64");
        foreach (string toolkit in probe.GetDirectories("/usr/local", "cuda-*").OrderByDescending(p => p, VersionedNameComparer.Instance))
            Add(Path.Combine(toolkit, "lib64"));

        foreach (string folder in SystemLibraryFolders) Add(folder);

        foreach (string sitePackages in PythonPackageFolders(probe))
        {
            foreach (string sub in spec.WheelSubfolders) Add(Path.Combine(sitePackages, sub));
        }
        return folders;
    }

    /// <summary>Every Python site-packages / dist-packages folder in the usual places, newest Python first within each.</summary>
    internal static IReadOnlyList<string> PythonPackageFolders(IFileSystemProbe probe)
    {
        var roots = new List<(string LibDir, string PackagesName)>();
        if (probe.GetEnvironmentVariable("VIRTUAL_ENV") is { } venv) roots.Add((Path.Combine(venv, "lib"), "site-packages"));
        if (probe.GetEnvironmentVariable("CONDA_PREFIX") is { } conda) roots.Add((Path.Combine(conda, "lib"), "site-packages"));
        if (probe.HomeDirectory is { } home) roots.Add((Path.Combine(home, ".local", "lib"), "site-packages"));
        roots.Add(("/usr/local/lib", "dist-packages"));
        roots.Add(("/usr/local/lib", "site-packages"));
        roots.Add(("/usr/lib", "dist-packages"));
        roots.Add(("/usr/lib64", "site-packages"));
        roots.Add(("/opt/conda/lib", "site-packages"));

        var result = new List<string>();
        foreach ((string libDir, string packagesName) in roots)
        {
            // "python3*" also matches Debian's version-less /usr/lib/python3.
            foreach (string python in probe.GetDirectories(libDir, "python3*").OrderByDescending(p => p, VersionedNameComparer.Instance))
            {
                string folder = Path.Combine(python, packagesName);
                if (!result.Contains(folder, StringComparer.Ordinal)) result.Add(folder);
            }
        }
        return result;
    }
}
