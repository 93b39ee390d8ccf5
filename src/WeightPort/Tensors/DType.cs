namespace WeightPort.Tensors;

/// <summary>Element types WeightPort can read and write.</summary>
public enum DType
{
    /// <summary>IEEE 754 binary32.</summary>
    Float32,
    /// <summary>IEEE 754 binary64.</summary>
    Float64,
    /// <summary>IEEE 754 binary16.</summary>
    Float16,
    /// <summary>bfloat16 (the upper half of a binary32).</summary>
    BFloat16,
    /// <summary>Signed 8-bit integer.</summary>
    Int8,
    /// <summary>Signed 16-bit integer.</summary>
    Int16,
    /// <summary>Signed 32-bit integer.</summary>
    Int32,
    /// <summary>Signed 64-bit integer.</summary>
    Int64,
    /// <summary>Unsigned 8-bit integer.</summary>
    UInt8,
    /// <summary>Boolean stored as one byte.</summary>
    Bool,
    /// <summary>Two binary32 values (real, imaginary).</summary>
    Complex64,
    /// <summary>Two binary64 values (real, imaginary).</summary>
    Complex128,
}
