namespace WeightPort.TorchSharp.Native;

/// <summary>
/// TorchSharp's native library (<c>libLibTorchSharp.so</c> and libtorch) cannot be loaded. The message says why and
/// what fixes it; <see cref="MissingVersion"/> names a missing symbol version such as <c>GLIBCXX_3.4.32</c>.
/// </summary>
public sealed class TorchSharpUnavailableException : InvalidOperationException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What failed and how to fix it.</param>
    /// <param name="missingVersion">The symbol version the loader could not find, if that was the cause.</param>
    /// <param name="libraryPath">The native library that failed to load, if one was found.</param>
    /// <param name="inner">The loader's exception.</param>
    public TorchSharpUnavailableException(string message, string? missingVersion, string? libraryPath, Exception? inner)
        : base(message, inner)
    {
        MissingVersion = missingVersion;
        LibraryPath = libraryPath;
    }

    /// <summary>The missing symbol version (for example <c>GLIBCXX_3.4.32</c>), or null.</summary>
    public string? MissingVersion { get; }

    /// <summary>The native library that failed to load, or null when none was found.</summary>
    public string? LibraryPath { get; }
}
