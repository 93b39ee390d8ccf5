namespace WeightPort.Compute.Cuda;

/// <summary>
/// The device operations the engine's schedule is written against: memory, the two GEMM shapes and the five kernels of
/// <c>kernels.cu</c>, all ordered on one stream. <see cref="CudaDeviceOps"/> runs them on a GPU; the tests run the same
/// schedule on a CPU simulation of cuBLAS's column-major semantics and of the kernels, which checks every offset, stride
/// and GEMM argument without a GPU. Pointers are device addresses (<c>CUdeviceptr</c>); offsets are added in bytes.
/// </summary>
internal interface IDeviceOps : IDisposable
{
    /// <summary>Makes the device's context current on the calling thread (CUDA contexts are per thread).</summary>
    void MakeCurrent();

    /// <summary>Allocates <paramref name="bytes"/> of device memory (contents undefined).</summary>
    ulong Allocate(long bytes);

    /// <summary>Frees an allocation from <see cref="Allocate"/>.</summary>
    void Free(ulong pointer);

    /// <summary>Copies host floats to the device; returns when <paramref name="source"/> may be reused.</summary>
    void Upload(ReadOnlySpan<float> source, ulong destination);

    /// <summary>Copies host ints to the device; returns when <paramref name="source"/> may be reused.</summary>
    void Upload(ReadOnlySpan<int> source, ulong destination);

    /// <summary>Copies device floats to the host after all queued work, records timing event <paramref name="eventAfter"/> (when ≥ 0) after the copy, and waits.</summary>
    void Download(ulong source, Span<float> destination, int eventAfter);

    /// <summary>Sets <paramref name="count"/> floats to +0.0.</summary>
    void Zero(ulong destination, long count);

    /// <summary>C = A·B in cuBLAS's column-major terms with α = 1, β = 0 (see <see cref="GemmCall"/>).</summary>
    void Gemm(in GemmCall call, ulong a, ulong b, ulong c);

    /// <summary><paramref name="count"/> GEMMs with operands <c>a + i·strideA</c> etc. (strides in elements).</summary>
    void GemmStridedBatched(in GemmCall call, ulong a, long strideA, ulong b, long strideB, ulong c, long strideC, int count);

    /// <summary><c>wp_embedding_gather</c>.</summary>
    void EmbeddingGather(ulong tokens, ulong table, ulong output, int batch, int seq, int emb);

    /// <summary><c>wp_lstm_gates</c>.</summary>
    void LstmGates(ulong xproj, int xprojStride, ulong hproj, ulong biasIh, ulong biasHh, ulong h, ulong c, ulong output, int batch, int hidden, int directions, int seq, int t);

    /// <summary><c>wp_add_row_bias</c>.</summary>
    void AddRowBias(ulong data, ulong bias, int rows, int cols);

    /// <summary><c>wp_time_to_batch_major</c>.</summary>
    void TimeToBatchMajor(ulong source, ulong destination, int seq, int batch, int width);

    /// <summary><c>wp_resize_state</c>.</summary>
    void ResizeState(ulong source, ulong destination, int oldBatch, int newBatch, int hidden, int directions);

    /// <summary>Records timing event <paramref name="index"/> (0…3) on the stream.</summary>
    void RecordEvent(int index);

    /// <summary>Milliseconds between two recorded events (both must have completed).</summary>
    double ElapsedMilliseconds(int from, int to);
}
