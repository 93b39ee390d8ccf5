using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace WeightPort.Compute.Cpu;

/// <summary>
/// The fused LSTM cell update for one timestep, after both matrix products have been summed into the gate
/// pre-activations: one pass reads the four gate blocks, adds the bias and writes c and h, where PyTorch's CPU cell
/// runs a separate operator (and a pass over memory) for each activation and product.
/// </summary>
internal static unsafe class LstmCellKernel
{
    /// <summary>
    /// For each of <paramref name="batch"/> rows: <c>z = gates + bias</c> (blocks i, f, g, o of <paramref name="hidden"/>),
    /// <c>c = σ(f)·c + σ(i)·tanh(g)</c>, <c>h = σ(o)·tanh(c)</c>; h goes to <paramref name="h"/> (contiguous) and to
    /// <paramref name="hOut"/> (rows <paramref name="hOutStride"/> apart).
    /// </summary>
    public static void Step(int batch, int hidden, float* gates, long gatesStride, float* bias, float* c, float* h, float* hOut, long hOutStride)
    {
        for (int r = 0; r < batch; r++)
        {
            float* z = gates + r * gatesStride;
            float* cr = c + (long)r * hidden;
            float* hr = h + (long)r * hidden;
            float* outRow = hOut + r * hOutStride;
            int j = 0;
            if (Vector256.IsHardwareAccelerated)
            {
                for (; j + 8 <= hidden; j += 8)
                {
                    Vector256<float> ig = Sigmoid(Vector256.Load(z + j) + Vector256.Load(bias + j));
                    Vector256<float> fg = Sigmoid(Vector256.Load(z + hidden + j) + Vector256.Load(bias + hidden + j));
                    Vector256<float> gg = Tanh(Vector256.Load(z + 2 * hidden + j) + Vector256.Load(bias + 2 * hidden + j));
                    Vector256<float> og = Sigmoid(Vector256.Load(z + 3 * hidden + j) + Vector256.Load(bias + 3 * hidden + j));
                    Vector256<float> cn = fg * Vector256.Load(cr + j) + ig * gg;
                    Vector256<float> hn = og * Tanh(cn);
                    cn.Store(cr + j);
                    hn.Store(hr + j);
                    hn.Store(outRow + j);
                }
            }
            for (; j < hidden; j++)
            {
                float ig = Sigmoid(z[j] + bias[j]);
                float fg = Sigmoid(z[hidden + j] + bias[hidden + j]);
                float gg = Tanh(z[2 * hidden + j] + bias[2 * hidden + j]);
                float og = Sigmoid(z[3 * hidden + j] + bias[3 * hidden + j]);
                float cn = fg * cr[j] + ig * gg;
                float hn = og * Tanh(cn);
                cr[j] = cn;
                hr[j] = hn;
                outRow[j] = hn;
            }
        }
    }

    /// <summary>1 / (1 + e^(−x)); saturates to exactly 0 and 1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<float> Sigmoid(Vector256<float> x) => Vector256<float>.One / (Vector256<float>.One + Vector256.Exp(-x));

    /// <summary>tanh through e^(−2|x|), which never overflows; the sign is copied back.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<float> Tanh(Vector256<float> x)
    {
        Vector256<float> t = Vector256.Exp(Vector256.Abs(x) * Vector256.Create(-2f));
        Vector256<float> r = (Vector256<float>.One - t) / (Vector256<float>.One + t);
        return Vector256.CopySign(r, x);
    }

    /// <summary>Scalar twin of <see cref="Sigmoid(Vector256{float})"/>.</summary>
    internal static float Sigmoid(float x) => 1f / (1f + MathF.Exp(-x));

    /// <summary>Scalar twin of <see cref="Tanh(Vector256{float})"/>.</summary>
    internal static float Tanh(float x)
    {
        float t = MathF.Exp(-2f * MathF.Abs(x));
        return MathF.CopySign((1f - t) / (1f + t), x);
    }
}
