namespace WeightPort.Compute.Cuda;

/// <summary>The <c>extern "C" __global__</c> entry points of the embedded <c>kernels.cu</c>.</summary>
internal static class KernelNames
{
    /// <summary>The manifest resource name of the kernel source.</summary>
    public const string ResourceName = "kernels.cu";

    /// <summary>Token ids → time-major embedding rows.</summary>
    public const string EmbeddingGather = "wp_embedding_gather";

    /// <summary>The fused LSTM gate step for one timestep of every direction.</summary>
    public const string LstmGates = "wp_lstm_gates";

    /// <summary>Row-broadcast bias add (decoder).</summary>
    public const string AddRowBias = "wp_add_row_bias";

    /// <summary>[seq, batch, w] → [batch, seq, w].</summary>
    public const string TimeToBatchMajor = "wp_time_to_batch_major";

    /// <summary>Hidden-state batch-size change (keep first rows, zero new ones).</summary>
    public const string ResizeState = "wp_resize_state";

    /// <summary>All of them, for loading and for the resource test.</summary>
    public static IReadOnlyList<string> All { get; } = [EmbeddingGather, LstmGates, AddRowBias, TimeToBatchMajor, ResizeState];

    /// <summary>The kernel source as embedded in the assembly.</summary>
    /// <exception cref="InvalidOperationException">The resource is missing (a build problem).</exception>
    public static string LoadSource()
    {
        using Stream stream = typeof(KernelNames).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"embedded resource '{ResourceName}' missing from {typeof(KernelNames).Assembly.GetName().Name}");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
