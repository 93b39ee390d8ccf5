using WeightPort.Compute.Cpu;
using WeightPort.Compute.Cuda;
using WeightPort.Model;
using WeightPort.Tests.Compute.Cuda;
using Xunit;

namespace WeightPort.Tests.Compute;

/// <summary>
/// The one contract every engine keeps: the weights <see cref="AwdLstmWeights.Validate"/> accepts, and the same argument
/// rules with the same exceptions and messages. Each engine runs this same suite (the derived classes below).
/// </summary>
public abstract class EngineContractTests
{
    private protected abstract LanguageModelEngine Create(AwdLstmWeights weights);

    private static AwdLstmWeights Model(bool hasDecoder = true) => TestModels.Random(TestModels.Unidirectional, seed: 31, hasDecoder: hasDecoder);

    public static TheoryData<string> BrokenWeights() =>
    [
        "embedding", "layer count", "directions", "weight_hh", "bias_ih", "decoder without HasDecoder", "empty decoder", "vocab 0",
    ];

    private static AwdLstmWeights Break(AwdLstmWeights w, string how) => how switch
    {
        "embedding" => w with { Embedding = w.Embedding[1..] },
        "layer count" => w with { Layers = w.Layers.Take(2).ToArray() },
        "directions" => w with { Layers = [.. w.Layers.Select((l, i) => i == 1 ? (IReadOnlyList<LstmDirectionWeights>)[l[0], l[0]] : l)] },
        "weight_hh" => w with { Layers = [.. w.Layers.Select((l, i) => i == 2 ? (IReadOnlyList<LstmDirectionWeights>)[l[0] with { WeightHh = l[0].WeightHh[..^1] }] : l)] },
        "bias_ih" => w with { Layers = [.. w.Layers.Select((l, i) => i == 0 ? (IReadOnlyList<LstmDirectionWeights>)[l[0] with { BiasIh = l[0].BiasIh[..^1] }] : l)] },
        "decoder without HasDecoder" => w with { HasDecoder = false },
        "empty decoder" => w with { DecoderWeight = ReadOnlyMemory<float>.Empty },
        "vocab 0" => w with { Config = w.Config with { VocabSize = 0 } },
        _ => throw new ArgumentOutOfRangeException(nameof(how)),
    };

    [Theory]
    [MemberData(nameof(BrokenWeights))]
    public void Create_WeightsBreakingTheContract_ThrowsWhatValidateThrows(string how)
    {
        var broken = Break(Model(), how);
        var expected = Assert.ThrowsAny<ArgumentException>(broken.Validate);

        var e = Assert.ThrowsAny<ArgumentException>(() => Create(broken));

        Assert.Equal(expected.GetType(), e.GetType());
        Assert.Equal(expected.Message, e.Message);
    }

    [Fact]
    public void Encode_NegativeSize_ThrowsArgumentOutOfRange()
    {
        using var engine = Create(Model());
        Assert.Throws<ArgumentOutOfRangeException>(() => engine.Encode([], -1, 2, []));
        Assert.Throws<ArgumentOutOfRangeException>(() => engine.Encode([], 2, -1, []));
    }

    [Fact]
    public void Encode_SpanLengthsNotExactlyBatchTimesSeq_ThrowsArgument()
    {
        using var engine = Create(Model());
        int emb = engine.Config.EmbSize;
        Assert.Throws<ArgumentException>(() => engine.Encode(new int[5], 2, 3, new float[6 * emb]));
        Assert.Throws<ArgumentException>(() => engine.Encode(new int[7], 2, 3, new float[6 * emb]));
        var e = Assert.Throws<ArgumentException>(() => engine.Encode(new int[6], 2, 3, new float[6 * emb - 1]));
        Assert.Contains($"[2, 3, {emb}] needs {6 * emb}", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => engine.Encode(new int[6], 2, 3, new float[6 * emb + 1]));
    }

    [Fact]
    public void Encode_TokenOutsideVocabulary_ThrowsNamingItsPosition()
    {
        using var engine = Create(Model());
        int[] tokens = [1, 2, 3, 4, engine.Config.VocabSize, 5];
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => engine.Encode(tokens, 2, 3, new float[6 * engine.Config.EmbSize]));
        Assert.Contains("at [1, 1]", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => engine.Encode([-1], 1, 1, new float[engine.Config.EmbSize]));
        Assert.Equal(0, engine.BatchSize);
    }

    [Fact]
    public void Encode_EmptyBlock_ChangesNothing()
    {
        using var engine = Create(Model());
        int emb = engine.Config.EmbSize;
        engine.Encode([1, 2, 3], 3, 1, new float[3 * emb]);

        engine.Encode([], 0, 4, []);
        engine.Encode([], 5, 0, []);

        Assert.Equal(3, engine.BatchSize);
    }

    [Fact]
    public void Reset_AfterCall_ClearsTheState()
    {
        using var engine = Create(Model());
        int emb = engine.Config.EmbSize;
        var first = new float[2 * emb];
        engine.Encode([4, 5], 2, 1, first);
        engine.Encode([4, 5], 2, 1, new float[2 * emb]);

        engine.Reset();
        var again = new float[2 * emb];
        engine.Encode([4, 5], 2, 1, again);

        Assert.Equal(first, again);
    }

    [Fact]
    public void Decode_WithoutDecoder_ThrowsInvalidOperation()
    {
        using var engine = Create(Model(hasDecoder: false));
        Assert.False(engine.HasDecoder);
        Assert.Throws<InvalidOperationException>(() => engine.Decode(new float[engine.Config.EmbSize], 1, new float[engine.Config.VocabSize]));
    }

    [Fact]
    public void Decode_SpanLengthsNotExactlyRows_ThrowsArgument()
    {
        using var engine = Create(Model());
        int emb = engine.Config.EmbSize, vocab = engine.Config.VocabSize;
        Assert.Throws<ArgumentOutOfRangeException>(() => engine.Decode([], -1, []));
        Assert.Throws<ArgumentException>(() => engine.Decode(new float[2 * emb - 1], 2, new float[2 * vocab]));
        Assert.Throws<ArgumentException>(() => engine.Decode(new float[2 * emb], 2, new float[2 * vocab + 1]));
        engine.Decode([], 0, []);
    }

    [Fact]
    public void AnyCall_AfterDispose_ThrowsObjectDisposed()
    {
        var engine = Create(Model());
        engine.Dispose();
        engine.Dispose();
        Assert.Throws<ObjectDisposedException>(engine.Reset);
        Assert.Throws<ObjectDisposedException>(() => engine.Encode([1], 1, 1, new float[engine.Config.EmbSize]));
        Assert.Throws<ObjectDisposedException>(() => engine.Decode(new float[engine.Config.EmbSize], 1, new float[engine.Config.VocabSize]));
    }

    [Fact]
    public void Forward_SmallModel_MatchesDoubleReference() =>
        EngineScenarios.ForwardMatchesReference(Create, TestModels.Random(TestModels.Bidirectional, seed: 33, tied: false), 2, 3);
}

public sealed class ManagedCpuEngineContractTests : EngineContractTests
{
    private protected override LanguageModelEngine Create(AwdLstmWeights weights) => new CpuLanguageModelEngine(weights, ManagedSgemm.Instance);
}

public sealed class OpenBlasCpuEngineContractTests : EngineContractTests
{
    private protected override LanguageModelEngine Create(AwdLstmWeights weights) =>
        new CpuLanguageModelEngine(weights, OpenBlasSgemm.Instance ?? throw new InvalidOperationException("OpenBLAS (libopenblas.so.0) is not installed"));
}

/// <summary>The CUDA engine's schedule on <see cref="SimulatedDeviceOps"/>: no GPU, no compiler.</summary>
public sealed class SimulatedCudaEngineContractTests : EngineContractTests
{
    private protected override LanguageModelEngine Create(AwdLstmWeights weights) => new CudaLanguageModelEngine(new SimulatedDeviceOps(), weights);
}

/// <summary>The CUDA stack with the shipped kernels.cu compiled for the host (<see cref="HostEmulatedCuda"/>).</summary>
[Trait("Category", "Slow")]
public sealed class HostEmulatedCudaEngineContractTests : EngineContractTests, IDisposable
{
    private readonly CudaBackend _backend = CudaBackend.Create(HostEmulatedCuda.Load(), 0, null);

    private protected override LanguageModelEngine Create(AwdLstmWeights weights) => _backend.CreateCudaEngine(weights);

    public void Dispose() => _backend.Dispose();
}
