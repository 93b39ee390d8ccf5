namespace WeightPort.Compute.Cpu;

/// <summary>How the CPU engine stores the weight matrices. It computes in float32 whatever the storage.</summary>
public enum CpuWeightPrecision
{
    /// <summary>
    /// float16 when every weight matrix holds only values that float16 represents exactly (the results are then
    /// bitwise those of <see cref="Float32"/>, with half the memory traffic) and the managed AVX-512 kernels run;
    /// otherwise float32.
    /// </summary>
    Auto,
    /// <summary>float32, read in place from a memory-mapped checkpoint where it stores aligned little-endian float32.</summary>
    Float32,
    /// <summary>float16 even where that rounds weights (lossy; <c>verify</c> reports the error). Managed kernels only.</summary>
    Float16,
    /// <summary>bfloat16, rounding every weight to nearest even (lossy). Managed kernels only.</summary>
    BFloat16,
}
