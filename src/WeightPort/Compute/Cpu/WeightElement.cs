namespace WeightPort.Compute.Cpu;

/// <summary>How the CPU engine stores a weight matrix; the arithmetic is float32 whatever the storage.</summary>
internal enum WeightElement
{
    /// <summary>IEEE float32.</summary>
    Float32,
    /// <summary>IEEE binary16, widened to float32 exactly on load.</summary>
    Float16,
    /// <summary>IEEE binary16 holding no infinity or NaN anywhere in the matrix: widened without the special values' handling.</summary>
    FiniteFloat16,
    /// <summary>bfloat16 (the upper half of a float32), widened exactly on load.</summary>
    BFloat16,
}
