using System.Diagnostics;
using WeightPort.Compute.Cuda;

namespace WeightPort.Bench;

/// <summary>
/// The CUDA side of <c>tools/bench_cuda_torch.py</c>: throughput at batch × seq (fastai's 64 × 70) and single-token
/// latency, stateful like fastai, with the same random-token protocol (a fixed seed; speed does not depend on ids).
/// </summary>
internal static class CudaBenchmark
{
    /// <summary>Measures <paramref name="engine"/>; its hidden state is reset before and after.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A count is not positive.</exception>
    public static CudaBenchmarkResult Run(CudaLanguageModelEngine engine, int batch = 64, int seq = 70, int iterations = 50, int warmup = 10,
        int latencyIterations = 500, bool withDecoder = true)
    {
        ArgumentNullException.ThrowIfNull(engine);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batch);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(seq);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(iterations);
        ArgumentOutOfRangeException.ThrowIfNegative(warmup);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(latencyIterations);
        withDecoder &= engine.HasDecoder;
        int vocab = engine.Config.VocabSize, emb = engine.Config.EmbSize;
        var random = new Random(0);
        int[] tokens = Enumerable.Range(0, checked(batch * seq)).Select(_ => random.Next(vocab)).ToArray();
        var hidden = new float[checked(batch * seq * emb)];
        float[] logits = withDecoder ? new float[checked(batch * seq * vocab)] : [];

        double Call(int b, int s, ReadOnlySpan<int> ids, out double computeMs)
        {
            long start = Stopwatch.GetTimestamp();
            int rows = b * s;
            engine.Encode(ids, b, s, hidden.AsSpan(0, rows * emb));
            computeMs = engine.LastEncodeTiming.ComputeMs;
            if (withDecoder)
            {
                engine.Decode(hidden.AsSpan(0, rows * emb), rows, logits.AsSpan(0, rows * vocab));
                computeMs += engine.LastDecodeTiming.ComputeMs;
            }
            return Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }

        engine.Reset();
        for (int i = 0; i < warmup; i++) Call(batch, seq, tokens, out _);
        var wall = new double[iterations];
        var compute = new double[iterations];
        for (int i = 0; i < iterations; i++) wall[i] = Call(batch, seq, tokens, out compute[i]);

        engine.Reset();
        for (int i = 0; i < warmup; i++) Call(1, 1, tokens.AsSpan(i % tokens.Length, 1), out _);
        var single = new double[latencyIterations];
        for (int i = 0; i < latencyIterations; i++) single[i] = Call(1, 1, tokens.AsSpan(i % tokens.Length, 1), out _);
        engine.Reset();

        Array.Sort(single);
        return new CudaBenchmarkResult(batch, seq, iterations, withDecoder, Median(wall), Median(compute), Median(single), single[(int)(0.9 * (single.Length - 1))]);
    }

    private static double Median(double[] values)
    {
        double[] sorted = [.. values];
        Array.Sort(sorted);
        int mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }
}
