namespace WeightPort.Fastai;

/// <summary>
/// Outcome of checking a copy against <c>raw · s</c> with elements zeroed: <see cref="Explained"/> when one float32
/// scale s reproduces every non-zero element exactly (<see cref="Exact"/>) or within 1 ULP of the copy's type.
/// </summary>
internal sealed record DropoutMaskResult(
    bool Explained, bool Exact, float Scale, double P, long Dropped, long Kept, long Total,
    long Unexplained, long FirstFlatIndex, long[] FirstIndex, float FirstRaw, float FirstCopy, string? Reason);
