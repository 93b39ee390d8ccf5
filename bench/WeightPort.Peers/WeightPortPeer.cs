using WeightPort.Compute.Cpu;
using WeightPort.Model;

namespace WeightPort.Peers;

/// <summary>WeightPort's CPU engine on the original fastai <c>.pth</c> (weights read in place from the mapped file).</summary>
internal sealed class WeightPortPeer(string path, CpuBlas blas, CpuWeightPrecision precision, string name) : IPeer
{
    private CpuBackend? _backend;
    private AwdLstm? _model;
    private int[] _ids = [];

    public string Name => name;

    public string Description => $"WeightPort ({_backend?.Description}; weights {_model?.WeightStorage})";

    public void Load()
    {
        _backend = CpuBackend.Create(blas, precision);
        _model = AwdLstm.Load(path, _backend);
    }

    private ReadOnlySpan<int> Ids(long[] tokens)
    {
        if (_ids.Length != tokens.Length) _ids = new int[tokens.Length];
        for (int i = 0; i < tokens.Length; i++) _ids[i] = checked((int)tokens[i]);
        return _ids;
    }

    // Disposing the output hands its arrays back to the model for the next call, as `using` on ONNX Runtime's
    // results returns its buffers to the arena: no process-wide GC settings are needed.
    public void Forward(long[] tokens, int batch, int seq) => _model!.Forward(Ids(tokens), batch, seq).Dispose();

    public float[] Logits(long[] tokens, int batch, int seq)
    {
        using var output = _model!.Forward(Ids(tokens), batch, seq);
        return [.. output.Logits];
    }

    public void Reset() => _model!.Reset();

    public void Dispose()
    {
        _model?.Dispose();
        _backend?.Dispose();
    }
}
