namespace WeightPort.Formats.Safetensors;

/// <summary>
/// The rule of the safetensors format a file breaks. The names follow huggingface/safetensors' <c>SafeTensorError</c>
/// where it has one; the reason of the <see cref="CheckpointFormatException"/> starts with the rule's name
/// (<c>"InvalidOffset: …"</c>), and each rule maps to one <see cref="CheckpointError"/>.
/// </summary>
internal enum SafetensorsRule
{
    /// <summary>The file is shorter than the 8-byte header size (<see cref="CheckpointError.Truncated"/>).</summary>
    HeaderTooSmall,
    /// <summary>The header size exceeds <see cref="SafetensorsReader.MaxHeaderSize"/> (<see cref="CheckpointError.LimitExceeded"/>).</summary>
    HeaderTooLarge,
    /// <summary>The header size reaches past the end of the file (<see cref="CheckpointError.Truncated"/>).</summary>
    InvalidHeaderLength,
    /// <summary>The header is not valid UTF-8 (<see cref="CheckpointError.InvalidHeader"/>).</summary>
    InvalidHeaderEncoding,
    /// <summary>The header does not start with <c>{</c> (<see cref="CheckpointError.InvalidHeader"/>).</summary>
    InvalidHeaderStart,
    /// <summary>The header is not one JSON object followed only by spaces (<see cref="CheckpointError.InvalidHeader"/>).</summary>
    InvalidHeaderDeserialization,
    /// <summary>A key appears twice in the header, in <c>__metadata__</c> or in a tensor entry (<see cref="CheckpointError.InvalidHeader"/>).</summary>
    DuplicateKey,
    /// <summary>A tensor entry is not an object with exactly <c>dtype</c>, <c>shape</c> and <c>data_offsets</c> of the right JSON types (<see cref="CheckpointError.InvalidHeader"/>).</summary>
    InvalidTensorEntry,
    /// <summary><c>__metadata__</c> is not an object of string values (<see cref="CheckpointError.InvalidHeader"/>).</summary>
    InvalidMetadata,
    /// <summary>A dtype WeightPort cannot represent: anything but BOOL, U8, I8, I16, I32, I64, F16, BF16, F32, F64, C64 (<see cref="CheckpointError.UnsupportedDType"/>).</summary>
    UnsupportedDType,
    /// <summary>Sorted by offset, a tensor does not begin where the previous one ends (a hole or an overlap), or ends before it begins (<see cref="CheckpointError.InvalidHeader"/>).</summary>
    InvalidOffset,
    /// <summary>A shape's element count or byte count overflows 64 bits (<see cref="CheckpointError.LimitExceeded"/>).</summary>
    ValidationOverflow,
    /// <summary>A tensor's byte range length differs from its element count × element size (<see cref="CheckpointError.InvalidHeader"/>).</summary>
    TensorInvalidInfo,
    /// <summary>The tensors do not cover the byte buffer exactly: it has trailing bytes (<see cref="CheckpointError.InvalidHeader"/>) or ends early (<see cref="CheckpointError.Truncated"/>).</summary>
    MetadataIncompleteBuffer,
}
