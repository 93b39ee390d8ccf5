namespace WeightPort.IO;

/// <summary>Receives one chunk of a tensor's output bytes; the span is only valid during the call.</summary>
internal delegate void ByteChunkHandler(ReadOnlySpan<byte> chunk);
