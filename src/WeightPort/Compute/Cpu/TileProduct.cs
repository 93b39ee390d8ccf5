namespace WeightPort.Compute.Cpu;

/// <summary>The arguments of one <see cref="ISgemm"/> product, for running it tile by tile.</summary>
internal readonly unsafe record struct TileProduct(int M, int N, int K, nint A, int Lda, WeightView B, nint Bias, nint C, int Ldc, bool Accumulate)
{
    /// <summary>Tiles of <see cref="Vector512Sgemm.TileN"/> B rows.</summary>
    public int Tiles => (N + Vector512Sgemm.TileN - 1) / Vector512Sgemm.TileN;

    /// <summary>Multiply-adds.</summary>
    public long Work => (long)M * N * K;
}
