namespace WeightPort.Tensors;

/// <summary>
/// How two same-shaped tensors differ: the count of elements whose float32 bit patterns differ, the largest absolute
/// difference (infinity when a NaN or infinity is involved), and the first differing element.
/// </summary>
internal sealed record ValueDifference(long Differing, long Total, double MaxAbsDifference, long FirstFlatIndex, long[] FirstIndex, float FirstA, float FirstB)
{
    public bool Equal => Differing == 0;
}
