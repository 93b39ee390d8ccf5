using Microsoft.ML.OnnxRuntime;

namespace WeightPort.Peers;

/// <summary>
/// ONNX Runtime on the model exported by <c>tools/export_onnx.py</c> (tokens and per-layer h0/c0 in, logits and
/// hn/cn out): two intra-op threads, all graph optimizations; the returned state is fed back on the next call.
/// </summary>
internal sealed class OnnxRuntimePeer(string path, int threads) : IPeer
{
    private static readonly int[] Hidden = [1152, 1152, 400];
    private InferenceSession? _session;
    private SessionOptions? _options;
    private RunOptions? _run;
    private OrtValue[] _state = [];
    private int _batch;
    private string[] _inputNames = [];
    private string[] _outputNames = [];

    public string Name => "onnxruntime";

    public string Description => $"ONNX Runtime {OrtEnv.Instance().GetVersionString()} ({threads} intra-op threads, ORT_ENABLE_ALL)";

    public void Load()
    {
        _options = new SessionOptions
        {
            IntraOpNumThreads = threads,
            InterOpNumThreads = 1,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
        };
        _session = new InferenceSession(path, _options);
        _run = new RunOptions();
        _inputNames = ["tokens", .. Enumerable.Range(0, Hidden.Length).SelectMany(l => new[] { $"h0_{l}", $"c0_{l}" })];
        _outputNames = ["logits", .. Enumerable.Range(0, Hidden.Length).SelectMany(l => new[] { $"hn_{l}", $"cn_{l}" })];
    }

    private void EnsureState(int batch)
    {
        if (batch == _batch && _state.Length > 0) return;
        foreach (var v in _state) v.Dispose();
        _state = new OrtValue[2 * Hidden.Length];
        for (int l = 0; l < Hidden.Length; l++)
            for (int k = 0; k < 2; k++)
                _state[2 * l + k] = OrtValue.CreateTensorValueFromMemory(new float[batch * Hidden[l]], [1, batch, Hidden[l]]);
        _batch = batch;
    }

    private float[]? Run(long[] tokens, int batch, int seq, bool copy)
    {
        EnsureState(batch);
        using var input = OrtValue.CreateTensorValueFromMemory(tokens, [batch, seq]);
        var inputs = new OrtValue[1 + _state.Length];
        inputs[0] = input;
        _state.CopyTo(inputs, 1);
        var outputs = _session!.Run(_run, _inputNames, inputs, _outputNames);
        float[]? logits = copy ? outputs[0].GetTensorDataAsSpan<float>().ToArray() : null;
        outputs[0].Dispose();
        foreach (var v in _state) v.Dispose();
        for (int i = 0; i < _state.Length; i++) _state[i] = outputs[1 + i];
        return logits;
    }

    public void Forward(long[] tokens, int batch, int seq) => Run(tokens, batch, seq, copy: false);

    public float[] Logits(long[] tokens, int batch, int seq) => Run(tokens, batch, seq, copy: true)!;

    public void Reset()
    {
        foreach (var v in _state) v.Dispose();
        _state = [];
        _batch = 0;
    }

    public void Dispose()
    {
        Reset();
        _session?.Dispose();
        _run?.Dispose();
        _options?.Dispose();
    }
}
