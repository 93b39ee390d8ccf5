using BenchmarkDotNet.Attributes;
using WeightPort.Compute.Cpu;
using WeightPort.Model;

namespace WeightPort.Bench;

/// <summary>
/// The LM forward pass at the WT103 shape per matrix-product implementation, into reused buffers (stateful, like
/// fastai's model). Run: <c>dotnet run -c Release --project bench/WeightPort.Bench -- --filter '*Forward*'</c>.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 1, iterationCount: 5)]
public class ForwardBenchmarks
{
    private AwdLstm _model = null!;
    private CpuBackend _backend = null!;
    private int[] _tokens = [];
    private float[] _logits = [];
    private float[] _hidden = [];

    /// <summary>The implementation under test.</summary>
    [Params(CpuBlas.Managed, CpuBlas.OpenBlas)]
    public CpuBlas Blas { get; set; }

    /// <summary>batch × seq: 1×1 (single token), 16×70, 64×70.</summary>
    [Params("1x1", "16x70", "64x70")]
    public string Shape { get; set; } = "1x1";

    private int Batch => int.Parse(Shape.Split('x')[0]);

    private int Seq => int.Parse(Shape.Split('x')[1]);

    [GlobalSetup]
    public void Setup()
    {
        _backend = CpuBackend.Create(Blas);
        _model = AwdLstm.FromWeights(RandomModel.Create(RandomModel.Wt103), _backend);
        var random = new Random(3);
        _tokens = Enumerable.Range(0, Batch * Seq).Select(_ => random.Next(RandomModel.Wt103.VocabSize)).ToArray();
        _logits = GC.AllocateUninitializedArray<float>(Batch * Seq * RandomModel.Wt103.VocabSize);
        _hidden = new float[Batch * Seq * RandomModel.Wt103.EmbSize];
    }

    [Benchmark]
    public void Forward() => _model.Forward(_tokens, Batch, Seq, _logits, _hidden);

    [GlobalCleanup]
    public void Cleanup()
    {
        _model.Dispose();
        _backend.Dispose();
    }
}
