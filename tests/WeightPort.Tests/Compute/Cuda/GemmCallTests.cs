using WeightPort.Compute.Cuda;
using Xunit;

namespace WeightPort.Tests.Compute.Cuda;

/// <summary>
/// The row-major → column-major mapping of <see cref="GemmCall.Linear"/>, checked by running its arguments through a CPU
/// model of cublasSgemm and comparing with a plain row-major loop.
/// </summary>
public sealed class GemmCallTests
{
    [Theory]
    [InlineData(1, 1, 1, 0, 0, 0)]
    [InlineData(7, 5, 3, 0, 0, 0)]
    [InlineData(3, 4, 20, 0, 0, 0)]
    [InlineData(6, 3, 8, 2, 1, 5)]      // padded rows everywhere
    [InlineData(12, 10, 40, 0, 0, 40)]  // a direction's slice of a wider xproj row
    public void Linear_ThroughColumnMajorSgemm_EqualsRowMajorXTimesWTransposed(int rows, int inFeatures, int outFeatures, int inputPad, int weightPad, int outputPad)
    {
        var random = new Random(rows * 1000 + inFeatures * 10 + outFeatures);
        int ldx = inFeatures + inputPad, ldw = inFeatures + weightPad, ldy = outFeatures + outputPad;
        float[] x = RandomArray(random, rows * ldx);
        float[] w = RandomArray(random, outFeatures * ldw);
        float[] y = Enumerable.Repeat(float.NaN, rows * ldy).ToArray();

        GemmCall call = GemmCall.Linear(rows, inFeatures, outFeatures, ldx, ldw, ldy);
        ColumnMajorSgemm.Run(call, 1f, w, x, 0f, y);

        for (int r = 0; r < rows; r++)
        {
            for (int o = 0; o < outFeatures; o++)
            {
                double expected = 0;
                for (int k = 0; k < inFeatures; k++) expected += (double)x[r * ldx + k] * w[o * ldw + k];
                Assert.True(Math.Abs(expected - y[r * ldy + o]) <= 1e-5, $"Y[{r}, {o}] = {y[r * ldy + o]}, expected {expected}");
            }
            // Padding of the output rows is never written.
            for (int o = outFeatures; o < ldy; o++) Assert.True(float.IsNaN(y[r * ldy + o]));
        }
    }

    [Fact]
    public void Linear_OperandsSwapped_IsCaughtBySimulation()
    {
        // The test must be able to fail: passing X as A and W as B (a classic mistake) gives a different product.
        var random = new Random(7);
        const int rows = 4, inFeatures = 3, outFeatures = 5;
        float[] x = RandomArray(random, rows * inFeatures), w = RandomArray(random, outFeatures * inFeatures), y = new float[rows * outFeatures];
        GemmCall call = GemmCall.Linear(rows, inFeatures, outFeatures, inFeatures, inFeatures, outFeatures);

        Assert.ThrowsAny<Exception>(() => ColumnMajorSgemm.Run(call, 1f, x, w, 0f, y));
    }

    [Fact]
    public void Linear_MapsToTransposeWeightAndPlainInput()
    {
        GemmCall call = GemmCall.Linear(rows: 4480, inFeatures: 400, outFeatures: 4608, inputStride: 400, weightStride: 400, outputStride: 4608);

        Assert.Equal(new GemmCall(CublasApi.OpT, CublasApi.OpN, M: 4608, N: 4480, K: 400, Lda: 400, Ldb: 400, Ldc: 4608), call);
        Assert.True(call.IsValid);
    }

    [Fact]
    public void Linear_StrideShorterThanRow_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => GemmCall.Linear(2, 8, 3, inputStride: 7, weightStride: 8, outputStride: 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => GemmCall.Linear(2, 8, 3, inputStride: 8, weightStride: 8, outputStride: 2));
    }

    [Fact]
    public void StridedBatched_RecurrentShape_EachBatchEqualsItsDirectionsProduct()
    {
        // hproj[d] = h[d] · W_hh[d]ᵀ with W_hh [D, 4h, h], h [D, B, h], hproj [D, B, 4h], exactly as the engine lays them out.
        var random = new Random(3);
        const int directions = 2, batch = 3, hidden = 5, gates = 4 * hidden;
        float[] whh = RandomArray(random, directions * gates * hidden), h = RandomArray(random, directions * batch * hidden);
        float[] hproj = new float[directions * batch * gates];
        GemmCall call = GemmCall.Linear(batch, hidden, gates, hidden, hidden, gates);

        for (int d = 0; d < directions; d++)
        {
            ColumnMajorSgemm.Run(call, 1f, whh.AsSpan(d * gates * hidden), h.AsSpan(d * batch * hidden), 0f, hproj.AsSpan(d * batch * gates));
        }

        for (int d = 0; d < directions; d++)
            for (int b = 0; b < batch; b++)
                for (int g = 0; g < gates; g++)
                {
                    double expected = 0;
                    for (int k = 0; k < hidden; k++) expected += (double)h[(d * batch + b) * hidden + k] * whh[(d * gates + g) * hidden + k];
                    Assert.True(Math.Abs(expected - hproj[(d * batch + b) * gates + g]) <= 1e-5, $"hproj[{d}, {b}, {g}]");
                }
    }

    private static float[] RandomArray(Random random, int length) => Enumerable.Range(0, length).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
}
