namespace WeightPort.Compute.Cuda;

/// <summary>A native library that was loaded, with what was actually loaded (for descriptions).</summary>
/// <param name="Handle">The loader's handle, for <see cref="System.Runtime.InteropServices.NativeLibrary.GetExport"/>.</param>
/// <param name="NameOrPath">The bare name or full path that loaded.</param>
/// <param name="FileName">The file name, e.g. <c>libcublas.so.12</c>.</param>
internal sealed record LoadedLibrary(IntPtr Handle, string NameOrPath, string FileName);
