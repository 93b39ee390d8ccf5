using WeightPort.Compute.Cuda;
using WeightPort.Fastai;
using WeightPort.Model;
using Xunit;

namespace WeightPort.Tests.Compute.Cuda;

/// <summary>
/// The CUDA engine's schedule (buffers, offsets, GEMM arguments, kernel arguments, timestep order, state handling) run
/// on <see cref="SimulatedDeviceOps"/>: everything but the GPU itself, cuBLAS's arithmetic and the .cu compilation.
/// </summary>
public sealed class SimulatedEngineTests
{
    private static LanguageModelEngine Create(AwdLstmWeights weights) => new CudaLanguageModelEngine(new SimulatedDeviceOps(), weights);

    [Theory]
    [InlineData(1, 1)]
    [InlineData(3, 5)]
    [InlineData(4, 1)]
    public void Forward_UnidirectionalTied_MatchesDoubleReference(int batch, int seq) =>
        EngineScenarios.ForwardMatchesReference(Create, TestModels.Random(TestModels.Unidirectional, seed: 1), batch, seq);

    [Fact]
    public void Forward_UntiedWithoutBias_MatchesDoubleReference() =>
        EngineScenarios.ForwardMatchesReference(Create, TestModels.Random(TestModels.Unidirectional, seed: 2, tied: false, decoderBias: false), 2, 4);

    [Theory]
    [InlineData(1, 1)]
    [InlineData(3, 5)]
    public void Forward_Bidirectional_MatchesDoubleReference(int batch, int seq) =>
        EngineScenarios.ForwardMatchesReference(Create, TestModels.Random(TestModels.Bidirectional, seed: 3, tied: false), batch, seq);

    [Fact]
    public void Encode_StatefulCallsWithBatchChanges_MatchDoubleReference() =>
        EngineScenarios.StatefulCallsMatchReference(Create, TestModels.Random(TestModels.Unidirectional, seed: 4));

    [Fact]
    public void Encode_BidirectionalStatefulCallsWithBatchChanges_MatchDoubleReference() =>
        EngineScenarios.StatefulCallsMatchReference(Create, TestModels.Random(TestModels.Bidirectional, seed: 5));

    [Fact]
    public void Encode_TokenOutsideVocabulary_Throws() =>
        EngineScenarios.TokenOutsideVocabularyThrows(Create, TestModels.Random(TestModels.Unidirectional, seed: 6));

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Encode_PerLayer_OneInputGemmThenOneGemmAndOneGateKernelPerTimestep(bool bidirectional)
    {
        AwdLstmConfig config = bidirectional ? TestModels.Bidirectional : TestModels.Unidirectional;
        var ops = new SimulatedDeviceOps();
        using var engine = new CudaLanguageModelEngine(ops, TestModels.Random(config, seed: 7));
        const int batch = 2, seq = 6;

        engine.Encode(TestModels.RandomTokens(batch * seq, config.VocabSize, 1), batch, seq, new float[batch * seq * config.EmbSize]);

        string recurrent = bidirectional ? "gemm-strided-batched" : "gemm";
        var expected = new List<string> { KernelNames.EmbeddingGather };
        for (int l = 0; l < config.Layers; l++)
        {
            expected.Add("gemm");
            for (int t = 0; t < seq; t++) expected.AddRange([recurrent, KernelNames.LstmGates]);
        }
        expected.Add(KernelNames.TimeToBatchMajor);
        Assert.Equal(expected, ops.Log);
    }

    [Fact]
    public void Create_TiedDecoder_UploadsEmbeddingOnce()
    {
        AwdLstmConfig config = TestModels.Unidirectional;
        var tiedOps = new SimulatedDeviceOps();
        var untiedOps = new SimulatedDeviceOps();
        using var tied = new CudaLanguageModelEngine(tiedOps, TestModels.Random(config, seed: 8));
        using var untied = new CudaLanguageModelEngine(untiedOps, TestModels.Random(config, seed: 8, tied: false));

        long matrix = (long)config.VocabSize * config.EmbSize * sizeof(float);
        Assert.Equal(matrix, untiedOps.LiveBytes - tiedOps.LiveBytes);
        Assert.Equal(tiedOps.LiveBytes, tied.DeviceBytes);
    }

    [Fact]
    public void Dispose_AfterCalls_FreesEveryAllocationAndTheOps()
    {
        var ops = new SimulatedDeviceOps();
        var engine = new CudaLanguageModelEngine(ops, TestModels.Random(TestModels.Unidirectional, seed: 9));
        int emb = TestModels.Unidirectional.EmbSize;
        engine.Encode(TestModels.RandomTokens(6, 37, 1), 2, 3, new float[6 * emb]);
        engine.Encode(TestModels.RandomTokens(4, 37, 2), 4, 1, new float[4 * emb]);
        engine.Decode(new float[3 * emb], 3, new float[3 * 37]);
        engine.Reset();
        engine.Encode(TestModels.RandomTokens(1, 37, 3), 1, 1, new float[emb]);

        engine.Dispose();

        Assert.Equal(0, ops.LiveAllocations);
        Assert.True(ops.Disposed);
        Assert.Throws<ObjectDisposedException>(() => engine.Reset());
    }

    [Fact]
    public void Decode_Classifier_ThrowsInvalidOperation()
    {
        using var engine = new CudaLanguageModelEngine(new SimulatedDeviceOps(), TestModels.Random(TestModels.Unidirectional, seed: 10, hasDecoder: false));

        Assert.False(engine.HasDecoder);
        Assert.Throws<InvalidOperationException>(() => engine.Decode(new float[6], 1, new float[37]));
    }

    [Fact]
    public void Encode_OutputTooShort_ThrowsWithSizes()
    {
        using var engine = new CudaLanguageModelEngine(new SimulatedDeviceOps(), TestModels.Random(TestModels.Unidirectional, seed: 12));

        var e = Assert.Throws<ArgumentException>(() => engine.Encode(new int[6], 2, 3, new float[35]));
        Assert.Contains("[2, 3, 6] needs 36", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_WeightLengthWrong_ThrowsArgumentAndFreesNothingItDidNotAllocate()
    {
        AwdLstmWeights good = TestModels.Random(TestModels.Unidirectional, seed: 13);
        var bad = good with { Layers = [good.Layers[0], [good.Layers[1][0] with { BiasHh = new float[39] }], good.Layers[2]] };
        var ops = new SimulatedDeviceOps();

        var e = Assert.Throws<ArgumentException>(() => new CudaLanguageModelEngine(ops, bad));

        Assert.Contains("layer 1 bias_hh has 39 elements", e.Message, StringComparison.Ordinal);
        Assert.Equal(0, ops.LiveAllocations);
        Assert.True(ops.Disposed);
    }

    [Fact]
    public void Create_LastLayerWidthNotEmb_ThrowsArgument()
    {
        // Bidirectional with an odd emb: the last layer gives 2·(7/2) = 6 features, the decoder wants 7.
        var config = new AwdLstmConfig(VocabSize: 5, EmbSize: 7, HiddenSize: 4, Layers: 1, Bidirectional: true);

        var e = Assert.Throws<ArgumentException>(() => new CudaLanguageModelEngine(new SimulatedDeviceOps(), TestModels.Random(config, seed: 14)));
        Assert.Contains("produces 6 features", e.Message, StringComparison.Ordinal);
    }
}
