using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace WeightPort.Peers;

/// <summary>
/// The machine's own limits, measured in the same run as the engines: float32 FMA throughput on every core
/// (12 independent Vector512 chains per core, enough to cover the FMA latency) and read bandwidth (every core summing
/// its share of a 1 GiB buffer). Each is the best of several passes.
/// </summary>
internal static unsafe class MachineLimits
{
    private const int Chains = 12;

    /// <summary>Peak float32 GFLOP/s (a fused multiply-add counts as two).</summary>
    public static double FmaGflops(int passes = 7, long iterations = 20_000_000)
    {
        int cores = Environment.ProcessorCount;
        double best = 0;
        for (int p = 0; p < passes; p++)
        {
            double seconds = OnAllCores(cores, _ => Fma(iterations));
            int lanes = Vector512.IsHardwareAccelerated ? 16 : 8;
            best = Math.Max(best, cores * (double)iterations * Chains * lanes * 2 / seconds / 1e9);
        }
        return best;
    }

    /// <summary>Peak read bandwidth in GB/s (10⁹ bytes) over a buffer far larger than the caches.</summary>
    public static double ReadGBps(int passes = 7, long bytes = 1L << 30)
    {
        int cores = Environment.ProcessorCount;
        float* buffer = (float*)NativeMemory.AlignedAlloc((nuint)bytes, 4096);
        try
        {
            long floats = bytes / sizeof(float);
            new Span<byte>(buffer, (int)Math.Min(bytes, int.MaxValue)).Fill(1);
            for (long off = int.MaxValue; off < bytes; off += int.MaxValue)
                new Span<byte>((byte*)buffer + off, (int)Math.Min(bytes - off, int.MaxValue)).Fill(1);
            double best = 0;
            for (int p = 0; p < passes; p++)
            {
                double seconds = OnAllCores(cores, c =>
                {
                    long per = floats / cores / 128 * 128;
                    Sum(buffer + c * per, per);
                });
                best = Math.Max(best, bytes / seconds / 1e9);
            }
            return best;
        }
        finally
        {
            NativeMemory.AlignedFree(buffer);
        }
    }

    private static double OnAllCores(int cores, Action<int> work)
    {
        using var start = new Barrier(cores + 1);
        var threads = new Thread[cores];
        for (int c = 0; c < cores; c++)
        {
            int core = c;
            threads[c] = new Thread(() =>
            {
                start.SignalAndWait();
                work(core);
            });
            threads[c].Start();
        }
        start.SignalAndWait();
        long t0 = Stopwatch.GetTimestamp();
        foreach (var t in threads) t.Join();
        return Stopwatch.GetElapsedTime(t0).TotalSeconds;
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float Fma(long iterations)
    {
        var x = Vector512.Create(0.999999f);
        var y = Vector512.Create(1e-7f);
        Vector512<float> a0 = x, a1 = x, a2 = x, a3 = x, a4 = x, a5 = x, a6 = x, a7 = x, a8 = x, a9 = x, a10 = x, a11 = x;
        for (long i = 0; i < iterations; i++)
        {
            a0 = Vector512.FusedMultiplyAdd(a0, x, y);
            a1 = Vector512.FusedMultiplyAdd(a1, x, y);
            a2 = Vector512.FusedMultiplyAdd(a2, x, y);
            a3 = Vector512.FusedMultiplyAdd(a3, x, y);
            a4 = Vector512.FusedMultiplyAdd(a4, x, y);
            a5 = Vector512.FusedMultiplyAdd(a5, x, y);
            a6 = Vector512.FusedMultiplyAdd(a6, x, y);
            a7 = Vector512.FusedMultiplyAdd(a7, x, y);
            a8 = Vector512.FusedMultiplyAdd(a8, x, y);
            a9 = Vector512.FusedMultiplyAdd(a9, x, y);
            a10 = Vector512.FusedMultiplyAdd(a10, x, y);
            a11 = Vector512.FusedMultiplyAdd(a11, x, y);
        }
        return Vector512.Sum(a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11);
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float Sum(float* p, long n)
    {
        Vector512<float> s0 = default, s1 = default, s2 = default, s3 = default, s4 = default, s5 = default, s6 = default, s7 = default;
        for (long i = 0; i < n; i += 128)
        {
            s0 += Vector512.Load(p + i);
            s1 += Vector512.Load(p + i + 16);
            s2 += Vector512.Load(p + i + 32);
            s3 += Vector512.Load(p + i + 48);
            s4 += Vector512.Load(p + i + 64);
            s5 += Vector512.Load(p + i + 80);
            s6 += Vector512.Load(p + i + 96);
            s7 += Vector512.Load(p + i + 112);
        }
        return Vector512.Sum(s0 + s1 + s2 + s3 + s4 + s5 + s6 + s7);
    }
}
