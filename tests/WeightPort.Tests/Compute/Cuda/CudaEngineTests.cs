using WeightPort.Compute.Cuda;
using WeightPort.Fastai;
using WeightPort.Model;
using Xunit;

namespace WeightPort.Tests.Compute.Cuda;

/// <summary>
/// The real thing on a GPU: the same scenarios as <see cref="SimulatedEngineTests"/> through the driver, cuBLAS and the
/// NVRTC-compiled kernels. Skipped (shown as skipped, with the reason) where CUDA is not available.
/// </summary>
public sealed class CudaEngineTests : IDisposable
{
    private readonly CudaBackend? _backend;

    public CudaEngineTests()
    {
        if (CudaBackend.IsAvailable) _backend = CudaBackend.Create();
    }

    public void Dispose() => _backend?.Dispose();

    private LanguageModelEngine Create(AwdLstmWeights weights) => _backend!.CreateEngine(weights);

    [SkippableFact]
    public void Forward_UnidirectionalTied_MatchesDoubleReference()
    {
        Skip.IfNot(CudaBackend.IsAvailable, CudaBackend.UnavailableReason);
        EngineScenarios.ForwardMatchesReference(Create, TestModels.Random(TestModels.Unidirectional, seed: 1), 3, 5);
    }

    [SkippableFact]
    public void Forward_Bidirectional_MatchesDoubleReference()
    {
        Skip.IfNot(CudaBackend.IsAvailable, CudaBackend.UnavailableReason);
        EngineScenarios.ForwardMatchesReference(Create, TestModels.Random(TestModels.Bidirectional, seed: 3, tied: false), 3, 5);
    }

    [SkippableFact]
    public void Forward_LargerModel_MatchesDoubleReference()
    {
        Skip.IfNot(CudaBackend.IsAvailable, CudaBackend.UnavailableReason);
        // Big enough that cuBLAS picks real tiled kernels (not the tiny-matrix paths): 4·96 gates, K = 64/96.
        var config = new AwdLstmConfig(VocabSize: 301, EmbSize: 64, HiddenSize: 96, Layers: 3);
        EngineScenarios.ForwardMatchesReference(Create, TestModels.Random(config, seed: 21), 8, 12);
    }

    [SkippableFact]
    public void Encode_StatefulCallsWithBatchChanges_MatchDoubleReference()
    {
        Skip.IfNot(CudaBackend.IsAvailable, CudaBackend.UnavailableReason);
        EngineScenarios.StatefulCallsMatchReference(Create, TestModels.Random(TestModels.Bidirectional, seed: 5));
    }

    [SkippableFact]
    public void Encode_TokenOutsideVocabulary_Throws()
    {
        Skip.IfNot(CudaBackend.IsAvailable, CudaBackend.UnavailableReason);
        EngineScenarios.TokenOutsideVocabularyThrows(Create, TestModels.Random(TestModels.Unidirectional, seed: 6));
    }

    [SkippableFact]
    public void Encode_AfterCall_ReportsTimingsAndKernelTarget()
    {
        Skip.IfNot(CudaBackend.IsAvailable, CudaBackend.UnavailableReason);
        using CudaLanguageModelEngine engine = _backend!.CreateCudaEngine(TestModels.Random(TestModels.Unidirectional, seed: 2));
        engine.Encode(TestModels.RandomTokens(6, 37, 1), 2, 3, new float[36]);

        Assert.True(engine.LastEncodeTiming.ComputeMs > 0, engine.LastEncodeTiming.ToString());
        Assert.NotNull(_backend.KernelTarget);
        Assert.Contains(_backend.DeviceName, _backend.Description, StringComparison.Ordinal);
    }
}
