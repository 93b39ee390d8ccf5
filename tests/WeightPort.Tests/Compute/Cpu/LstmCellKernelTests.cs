using WeightPort.Compute.Cpu;
using Xunit;

namespace WeightPort.Tests.Compute.Cpu;

/// <summary>The fused cell update against a double-precision oracle.</summary>
public sealed unsafe class LstmCellKernelTests
{
    private static void Check(int batch, int hidden, float scale, int seed)
    {
        var random = new Random(seed);
        long gatesStride = 4 * hidden + 5, outStride = hidden + 3;
        float[] gates = Fill(random, (int)(batch * gatesStride), scale), bias = Fill(random, 4 * hidden, scale);
        float[] c = Fill(random, batch * hidden, 2f), h = new float[batch * hidden], output = Fill(random, (int)(batch * outStride), 1f);
        float[] c0 = (float[])c.Clone(), out0 = (float[])output.Clone();
        fixed (float* pg = gates, pb = bias, pc = c, ph = h, po = output)
            LstmCellKernel.Step(batch, hidden, pg, gatesStride, pb, pc, ph, po, outStride);
        static double Sig(double x) => 1 / (1 + Math.Exp(-x));
        for (int r = 0; r < batch; r++)
            for (int j = 0; j < hidden; j++)
            {
                double Z(int gate) => (double)gates[r * gatesStride + gate * hidden + j] + bias[gate * hidden + j];
                double cn = Sig(Z(1)) * c0[r * hidden + j] + Sig(Z(0)) * Math.Tanh(Z(2));
                double hn = Sig(Z(3)) * Math.Tanh(cn);
                int at = r * hidden + j;
                Assert.True(Math.Abs(c[at] - cn) <= 2e-6 * (1 + Math.Abs(cn)), $"c[{r},{j}] = {c[at]}, {cn} expected (hidden {hidden}, scale {scale})");
                Assert.True(Math.Abs(h[at] - hn) <= 2e-6, $"h[{r},{j}] = {h[at]}, {hn} expected (hidden {hidden}, scale {scale})");
                Assert.Equal(h[at], output[r * outStride + j]);
            }
        for (int r = 0; r < batch; r++)
            for (long j = hidden; j < outStride; j++)
                Assert.Equal(out0[r * outStride + j], output[r * outStride + j]);
    }

    private static float[] Fill(Random random, int n, float scale)
    {
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (random.NextSingle() * 2f - 1f) * scale;
        return a;
    }

    [Fact]
    public void Step_EveryHiddenLength0To257_MatchesDoubleOracle()
    {
        for (int hidden = 0; hidden <= 257; hidden++) Check(batch: 1 + hidden % 3, hidden, scale: 3f, seed: hidden);
    }

    [Fact]
    public void Step_SaturatingInputs_StaysFiniteAndMatchesOracle()
    {
        foreach (float scale in new[] { 1e-4f, 0.5f, 20f, 100f, 1e4f })
            Check(batch: 2, hidden: 37, scale, seed: (int)scale);
    }
}
