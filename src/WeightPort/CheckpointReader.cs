namespace WeightPort;

/// <summary>Opens any checkpoint WeightPort reads, detecting its format from its bytes.</summary>
public static class CheckpointReader
{
    /// <summary>Opens <paramref name="path"/>.</summary>
    /// <exception cref="CheckpointFormatException">The file is not a readable checkpoint.</exception>
    public static Checkpoint Open(string path, CheckpointReadOptions? options = null) =>
        throw new NotImplementedException("format dispatch lands with the readers");
}
