using TorchSharp.Modules;
using static TorchSharp.torch;

namespace WeightPort.Peers;

/// <summary>The AWD-LSTM language model in eval mode as TorchSharp modules, with the names <c>weightport convert</c> writes.</summary>
internal sealed class LanguageModel : nn.Module
{
    private static readonly (int Input, int Hidden)[] Shapes = [(400, 1152), (1152, 1152), (1152, 400)];

    // Field names are the state-dict names (RegisterComponents uses them).
#pragma warning disable IDE1006, SA1300
    private readonly Embedding encoder;
    private readonly ModuleList<LSTM> rnns;
    private readonly Linear decoder;
#pragma warning restore IDE1006, SA1300

    public LanguageModel() : base("awd_lstm")
    {
        encoder = nn.Embedding(60000, 400);
        rnns = nn.ModuleList(Shapes.Select(s => nn.LSTM(s.Input, s.Hidden, batchFirst: true)).ToArray());
        decoder = nn.Linear(400, 60000);
        RegisterComponents();
    }

    /// <summary>Makes the decoder use the embedding matrix (fastai's tied weights).</summary>
    public void TieDecoder() => decoder.weight = encoder.weight ?? throw new InvalidOperationException("the embedding has no weight");

    /// <summary>Embedding → LSTMs → decoder; <paramref name="state"/> is read and replaced (moved out of the caller's dispose scope).</summary>
    public Tensor Forward(Tensor tokens, ref (Tensor H, Tensor C)[]? state)
    {
        Tensor x = encoder.forward(tokens);
        var next = new (Tensor H, Tensor C)[rnns.Count];
        for (int l = 0; l < rnns.Count; l++)
        {
            var (output, h, c) = rnns[l].forward(x, state is null ? null : (state[l].H, state[l].C));
            next[l] = (h.MoveToOuterDisposeScope(), c.MoveToOuterDisposeScope());
            x = output;
        }
        if (state is not null)
            foreach (var (h, c) in state)
            {
                h.Dispose();
                c.Dispose();
            }
        state = next;
        return decoder.forward(x);
    }
}
