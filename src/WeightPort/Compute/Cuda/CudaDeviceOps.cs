namespace WeightPort.Compute.Cuda;

/// <summary>
/// <see cref="IDeviceOps"/> on a GPU: one stream, one cuBLAS handle bound to it, four timing events. Every native call's
/// status is checked. Owned by one engine.
/// </summary>
internal sealed unsafe class CudaDeviceOps : IDeviceOps
{
    private const int BlockSize = 256;

    // Grid-stride loops make any grid correct; this cap only bounds the launch (≈ 16 waves on a 132-SM H100).
    private const long MaxBlocks = 65_535;

    private readonly CudaDriverApi _driver;
    private readonly CublasApi _cublas;
    private readonly CudaKernelModule _kernels;
    private readonly IntPtr _context;
    private readonly IntPtr[] _events = new IntPtr[4];
    private IntPtr _stream;
    private IntPtr _cublasHandle;

    /// <summary>Creates the stream, the cuBLAS handle (with the math mode) and the events in <paramref name="context"/>.</summary>
    public CudaDeviceOps(CudaLibraries libraries, IntPtr context, CudaKernelModule kernels, int cublasMathMode)
    {
        _driver = libraries.Driver;
        _cublas = libraries.Cublas;
        _kernels = kernels;
        _context = context;
        try
        {
            MakeCurrent();
            IntPtr stream, handle;
            // A blocking stream (flags 0): ordered with the legacy default stream, which cuBLAS never uses here anyway.
            _driver.Check(_driver.cuStreamCreate(&stream, 0), "cuStreamCreate");
            _stream = stream;
            _cublas.Check(_cublas.cublasCreate_v2(&handle), "cublasCreate_v2");
            _cublasHandle = handle;
            _cublas.Check(_cublas.cublasSetStream_v2(handle, stream), "cublasSetStream_v2");
            _cublas.Check(_cublas.cublasSetMathMode(handle, cublasMathMode), "cublasSetMathMode");
            for (int i = 0; i < _events.Length; i++)
            {
                IntPtr e;
                _driver.Check(_driver.cuEventCreate(&e, 0), "cuEventCreate");
                _events[i] = e;
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public void MakeCurrent() => _driver.Check(_driver.cuCtxSetCurrent(_context), "cuCtxSetCurrent");

    /// <inheritdoc />
    public ulong Allocate(long bytes)
    {
        ulong pointer;
        int status = _driver.cuMemAlloc_v2(&pointer, checked((nuint)bytes));
        if (status != 0)
            throw new CudaException("cuMemAlloc_v2", status, _driver.ErrorName(status), $"{bytes:N0} bytes: {_driver.ErrorString(status)}");
        return pointer;
    }

    /// <inheritdoc />
    public void Free(ulong pointer) => _driver.Check(_driver.cuMemFree_v2(pointer), "cuMemFree_v2");

    /// <inheritdoc />
    public void Upload(ReadOnlySpan<float> source, ulong destination)
    {
        if (source.IsEmpty) return;
        fixed (float* p = source)
        {
            _driver.Check(_driver.cuMemcpyHtoDAsync_v2(destination, p, (nuint)source.Length * sizeof(float), _stream), "cuMemcpyHtoDAsync_v2");
            // Pageable memory: wait so that the span can be unpinned and reused.
            _driver.Check(_driver.cuStreamSynchronize(_stream), "cuStreamSynchronize");
        }
    }

    /// <inheritdoc />
    public void Upload(ReadOnlySpan<int> source, ulong destination)
    {
        if (source.IsEmpty) return;
        fixed (int* p = source)
        {
            _driver.Check(_driver.cuMemcpyHtoDAsync_v2(destination, p, (nuint)source.Length * sizeof(int), _stream), "cuMemcpyHtoDAsync_v2");
            _driver.Check(_driver.cuStreamSynchronize(_stream), "cuStreamSynchronize");
        }
    }

    /// <inheritdoc />
    public void Download(ulong source, Span<float> destination, int eventAfter)
    {
        fixed (float* p = destination)
        {
            if (!destination.IsEmpty)
                _driver.Check(_driver.cuMemcpyDtoHAsync_v2(p, source, (nuint)destination.Length * sizeof(float), _stream), "cuMemcpyDtoHAsync_v2");
            if (eventAfter >= 0) RecordEvent(eventAfter);
            // Kernel faults surface here, at the first synchronization after the launch.
            _driver.Check(_driver.cuStreamSynchronize(_stream), "cuStreamSynchronize");
        }
    }

    /// <inheritdoc />
    public void Zero(ulong destination, long count)
    {
        if (count > 0) _driver.Check(_driver.cuMemsetD32Async(destination, 0u, checked((nuint)count), _stream), "cuMemsetD32Async");
    }

    /// <inheritdoc />
    public void Gemm(in GemmCall call, ulong a, ulong b, ulong c)
    {
        float alpha = 1f, beta = 0f;
        _cublas.Check(_cublas.cublasSgemm_v2(_cublasHandle, call.TransA, call.TransB, call.M, call.N, call.K, &alpha, a, call.Lda, b, call.Ldb, &beta, c, call.Ldc), "cublasSgemm_v2");
    }

    /// <inheritdoc />
    public void GemmStridedBatched(in GemmCall call, ulong a, long strideA, ulong b, long strideB, ulong c, long strideC, int count)
    {
        float alpha = 1f, beta = 0f;
        _cublas.Check(_cublas.cublasSgemmStridedBatched(_cublasHandle, call.TransA, call.TransB, call.M, call.N, call.K,
            &alpha, a, call.Lda, strideA, b, call.Ldb, strideB, &beta, c, call.Ldc, strideC, count), "cublasSgemmStridedBatched");
    }

    /// <inheritdoc />
    public void EmbeddingGather(ulong tokens, ulong table, ulong output, int batch, int seq, int emb)
    {
        void** args = stackalloc void*[6];
        args[0] = &tokens; args[1] = &table; args[2] = &output; args[3] = &batch; args[4] = &seq; args[5] = &emb;
        Launch(KernelNames.EmbeddingGather, (long)batch * seq * emb, args);
    }

    /// <inheritdoc />
    public void LstmGates(ulong xproj, int xprojStride, ulong hproj, ulong biasIh, ulong biasHh, ulong h, ulong c, ulong output, int batch, int hidden, int directions, int seq, int t)
    {
        void** args = stackalloc void*[13];
        args[0] = &xproj; args[1] = &xprojStride; args[2] = &hproj; args[3] = &biasIh; args[4] = &biasHh; args[5] = &h; args[6] = &c;
        args[7] = &output; args[8] = &batch; args[9] = &hidden; args[10] = &directions; args[11] = &seq; args[12] = &t;
        Launch(KernelNames.LstmGates, (long)directions * batch * hidden, args);
    }

    /// <inheritdoc />
    public void AddRowBias(ulong data, ulong bias, int rows, int cols)
    {
        void** args = stackalloc void*[4];
        args[0] = &data; args[1] = &bias; args[2] = &rows; args[3] = &cols;
        Launch(KernelNames.AddRowBias, (long)rows * cols, args);
    }

    /// <inheritdoc />
    public void TimeToBatchMajor(ulong source, ulong destination, int seq, int batch, int width)
    {
        void** args = stackalloc void*[5];
        args[0] = &source; args[1] = &destination; args[2] = &seq; args[3] = &batch; args[4] = &width;
        Launch(KernelNames.TimeToBatchMajor, (long)seq * batch * width, args);
    }

    /// <inheritdoc />
    public void ResizeState(ulong source, ulong destination, int oldBatch, int newBatch, int hidden, int directions)
    {
        void** args = stackalloc void*[6];
        args[0] = &source; args[1] = &destination; args[2] = &oldBatch; args[3] = &newBatch; args[4] = &hidden; args[5] = &directions;
        Launch(KernelNames.ResizeState, (long)directions * newBatch * hidden, args);
    }

    /// <inheritdoc />
    public void RecordEvent(int index) => _driver.Check(_driver.cuEventRecord(_events[index], _stream), "cuEventRecord");

    /// <inheritdoc />
    public double ElapsedMilliseconds(int from, int to)
    {
        float ms;
        _driver.Check(_driver.cuEventSynchronize(_events[to]), "cuEventSynchronize");
        _driver.Check(_driver.cuEventElapsedTime(&ms, _events[from], _events[to]), "cuEventElapsedTime");
        return ms;
    }

    /// <summary>Destroys the events, the cuBLAS handle and the stream (the context must still be alive).</summary>
    public void Dispose()
    {
        // Best effort: teardown reports nothing, so that an earlier error is the one the caller sees.
        if (_driver.cuCtxSetCurrent(_context) != 0) return;
        for (int i = 0; i < _events.Length; i++)
        {
            if (_events[i] != IntPtr.Zero) _driver.cuEventDestroy_v2(_events[i]);
            _events[i] = IntPtr.Zero;
        }
        if (_cublasHandle != IntPtr.Zero) _cublas.cublasDestroy_v2(_cublasHandle);
        _cublasHandle = IntPtr.Zero;
        if (_stream != IntPtr.Zero) _driver.cuStreamDestroy_v2(_stream);
        _stream = IntPtr.Zero;
    }

    private void Launch(string kernel, long elements, void** args)
    {
        if (elements <= 0) return;
        uint blocks = (uint)Math.Min((elements + BlockSize - 1) / BlockSize, MaxBlocks);
        _driver.Check(_driver.cuLaunchKernel(_kernels[kernel], blocks, 1, 1, BlockSize, 1, 1, 0, _stream, args, null), "cuLaunchKernel(" + kernel + ")");
    }
}
