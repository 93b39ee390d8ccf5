using TorchSharp;
using static TorchSharp.torch;

namespace WeightPort.Peers;

/// <summary>
/// libtorch through TorchSharp: the converted TorchSharp file (<c>weightport convert</c>, names encoder.weight,
/// rnns.{l}.*_l0, decoder.bias) loaded into Embedding, one batch-first LSTM per layer and a Linear tied to the
/// embedding; eval mode under no_grad, (h, c) carried from call to call.
/// </summary>
internal sealed class TorchSharpPeer(string path, int threads) : IPeer
{
    private LanguageModel? _model;
    private (Tensor H, Tensor C)[]? _state;
    private long _batch;

    public string Name => "torchsharp";

    public string Description => $"TorchSharp {typeof(torch).Assembly.GetName().Version} (libtorch {torch.__version__}), {torch.get_num_threads()} threads";

    public void Load()
    {
        torch.set_num_threads(threads);
        _model = new LanguageModel();
        // The converted file stores the tied decoder once, as encoder.weight.
        _model.load(path, strict: false);
        _model.TieDecoder();
        _model.eval();
    }

    private Tensor Run(long[] tokens, int batch, int seq)
    {
        if (_state is null || _batch != batch)
        {
            Reset();
            _batch = batch;
        }
        using var x = torch.tensor(tokens, [batch, seq]);
        return _model!.Forward(x, ref _state);
    }

    public void Forward(long[] tokens, int batch, int seq)
    {
        using var _ = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        Run(tokens, batch, seq);
    }

    public float[] Logits(long[] tokens, int batch, int seq)
    {
        using var _ = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        return Run(tokens, batch, seq).data<float>().ToArray();
    }

    public void Reset()
    {
        if (_state is not null)
            foreach (var (h, c) in _state)
            {
                h.Dispose();
                c.Dispose();
            }
        _state = null;
        _batch = 0;
    }

    public void Dispose()
    {
        Reset();
        _model?.Dispose();
    }
}
