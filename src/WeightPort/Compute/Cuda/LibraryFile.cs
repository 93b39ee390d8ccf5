namespace WeightPort.Compute.Cuda;

/// <summary>
/// One file name a native library may have, with the companion libraries to load from the same folder first.
/// </summary>
/// <param name="Name">The file name, e.g. <c>libcublas.so.12</c>.</param>
/// <param name="CompanionPattern">
/// Files (a <c>*</c> pattern) that <paramref name="Name"/> needs and that the system loader would not find when the
/// folder is not on its path: <c>libcublasLt.so.12</c> for cuBLAS, <c>libnvrtc-builtins.so.12*</c> for NVRTC (which
/// dlopens it by name at compile time). Loading them first makes the later lookups by soname succeed.
/// </param>
internal sealed record LibraryFile(string Name, string? CompanionPattern = null);
