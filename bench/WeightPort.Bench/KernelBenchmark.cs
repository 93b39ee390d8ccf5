using System.Diagnostics;
using WeightPort.Compute.Cpu;

namespace WeightPort.Bench;

/// <summary>
/// `kernels [reps]`: the WT103 products on each managed kernel and weight storage, timed by wall clock and by the
/// process's CPU time. GFLOP per CPU-second measures a kernel's efficiency even while other jobs share the machine
/// (wall-clock figures need a quiet one).
/// </summary>
internal static unsafe class KernelBenchmark
{
    public static int Run(int reps)
    {
        (string Name, int M, int N, int K)[] shapes =
        [
            ("decoder 16x70", 1120, 60000, 400), ("x-proj l1 16x70", 1120, 4608, 1152), ("h-proj b64", 64, 4608, 1152),
            ("h-proj b16", 16, 4608, 1152), ("gemv decoder", 1, 60000, 400), ("gemv l1", 1, 4608, 1152),
        ];
        var random = new Random(1);
        foreach (var (name, m, n, k) in shapes)
        {
            float[] a = new float[m * k], b = new float[(long)n * k <= int.MaxValue ? n * k : 0], c = new float[m * n], bias = new float[n];
            for (int i = 0; i < a.Length; i++) a[i] = random.NextSingle() - 0.5f;
            for (int i = 0; i < b.Length; i++) b[i] = (float)(Half)(random.NextSingle() - 0.5f);
            var half = new Half[b.Length];
            System.Numerics.Tensors.TensorPrimitives.ConvertToHalf(b, half);
            var packed = GC.AllocateUninitializedArray<float>((n + 63) / 64 * 64 * k, pinned: true);
            fixed (float* fa = a, fb = b, fc = c, fbias = bias, fp = packed)
            fixed (Half* fh = half)
            {
                nint pa = (nint)fa, pb = (nint)fb, pc = (nint)fc, pbias = (nint)fbias, ph = (nint)fh, pp = (nint)fp;
                if (m >= 4) ManagedSgemm.Instance.Pack(WeightView.Float32(fb, k), n, k, fp);
                var variants = new (string, Action)[]
                {
                    ("vector256 f32", () => Vector256Sgemm.Instance.MultiplyTransposed(m, n, k, (float*)pa, k, (float*)pb, k, (float*)pbias, (float*)pc, n, false)),
                    ("vector512 f32", () => ManagedSgemm.Instance.MultiplyTransposed(m, n, k, (float*)pa, k, WeightView.Float32((float*)pb, k), (float*)pbias, (float*)pc, n, false)),
                    ("vector512 f16", () => ManagedSgemm.Instance.MultiplyTransposed(m, n, k, (float*)pa, k, new WeightView((void*)ph, k, WeightElement.Float16), (float*)pbias, (float*)pc, n, false)),
                    ("vector512 f16 finite", () => ManagedSgemm.Instance.MultiplyTransposed(m, n, k, (float*)pa, k, new WeightView((void*)ph, k, WeightElement.FiniteFloat16), (float*)pbias, (float*)pc, n, false)),
                    ("prepacked", () => { if (m >= 4) ManagedSgemm.Instance.MultiplyPacked(m, n, k, (float*)pa, k, (float*)pp, (float*)pbias, (float*)pc, n, false); }),
                };
                double flop = 2.0 * m * n * k;
                int times = Math.Max(1, (int)(reps * 2e9 / flop));
                foreach (var (label, run) in variants)
                {
                    run();
                    double bestWall = double.MaxValue, bestCpu = double.MaxValue;
                    for (int r = 0; r < 3; r++)
                    {
                        var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
                        long t0 = Stopwatch.GetTimestamp();
                        for (int i = 0; i < times; i++) run();
                        bestWall = Math.Min(bestWall, Stopwatch.GetElapsedTime(t0).TotalSeconds / times);
                        bestCpu = Math.Min(bestCpu, (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalSeconds / times);
                    }
                    double bytes = m < 4 ? (double)n * k * (label.Contains("f16", StringComparison.Ordinal) ? 2 : 4) : 0;
                    Console.WriteLine($"{name,-16} {label,-20} wall {bestWall * 1e3,8:F3} ms  {flop / bestWall / 1e9,6:F1} GFLOP/s  {flop / bestCpu / 1e9,6:F1} GFLOP/cpu-s" +
                        (bytes > 0 ? $"  {bytes / bestWall / 1e9,5:F1} GB/s" : ""));
                }
            }
        }
        return 0;
    }
}
