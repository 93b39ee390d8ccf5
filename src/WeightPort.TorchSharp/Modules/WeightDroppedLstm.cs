using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace WeightPort.TorchSharp.Modules;

/// <summary>
/// fastai's <c>WeightDropout(nn.LSTM(n_in, n_out, 1, batch_first=True, bidirectional), weight_p)</c> as one module
/// whose parameters carry <c>nn.LSTM</c>'s own names (<c>weight_ih_l0</c>, <c>weight_hh_l0</c>, <c>bias_ih_l0</c>,
/// <c>bias_hh_l0</c>, and the <c>_reverse</c> four): <c>weight_hh_l0</c> is fastai's <c>weight_hh_l0_raw</c>, the
/// parameter that receives gradients. In training each call uses <c>dropout(weight_hh_l0, weight_p)</c> for the
/// whole sequence; in eval the raw matrix. As in fastai, the reverse direction's matrix is not weight-dropped.
/// The cell is PyTorch's: gates stacked i, f, g, o; <c>c' = f·c + i·g</c>, <c>h' = o·tanh(c')</c>.
/// </summary>
public sealed class WeightDroppedLstm : nn.Module<Tensor, (Tensor H, Tensor C)?, (Tensor Output, Tensor H, Tensor C)>
{
    private readonly string[] _suffixes;

    /// <summary>Creates the layer with PyTorch's initialisation, uniform in ±1/√hidden.</summary>
    /// <param name="inputSize">Input width.</param>
    /// <param name="hiddenSize">Hidden width per direction.</param>
    /// <param name="bidirectional">Two directions.</param>
    /// <param name="weightP">weight_p, in [0, 1).</param>
    /// <param name="dtype">Parameter type.</param>
    /// <param name="initialize">False leaves the parameters uninitialised (they are about to be loaded).</param>
    public WeightDroppedLstm(long inputSize, long hiddenSize, bool bidirectional, double weightP, ScalarType dtype = ScalarType.Float32, bool initialize = true)
        : base(Checked())
    {
        if (weightP is < 0 or >= 1 || double.IsNaN(weightP)) throw new ArgumentOutOfRangeException(nameof(weightP), weightP, "weight_p must be in [0, 1)");
        InputSize = inputSize;
        HiddenSize = hiddenSize;
        Bidirectional = bidirectional;
        WeightP = weightP;
        _suffixes = bidirectional ? ["", "_reverse"] : [""];
        double bound = 1 / Math.Sqrt(hiddenSize);
        Parameter Make(params long[] shape) =>
            Parameters.Create(shape, dtype, initialize ? t => t.uniform_(-bound, bound) : null);
        foreach (var s in _suffixes)
        {
            register_parameter("weight_ih_l0" + s, Make(4 * hiddenSize, inputSize));
            register_parameter("weight_hh_l0" + s, Make(4 * hiddenSize, hiddenSize));
            register_parameter("bias_ih_l0" + s, Make(4 * hiddenSize));
            register_parameter("bias_hh_l0" + s, Make(4 * hiddenSize));
        }
    }

    /// <summary>Input width.</summary>
    public long InputSize { get; }

    private static string Checked()
    {
        Native.TorchSharpRuntime.EnsureAvailable();
        return nameof(WeightDroppedLstm);
    }
    /// <summary>Hidden width per direction.</summary>
    public long HiddenSize { get; }
    /// <summary>Two directions.</summary>
    public bool Bidirectional { get; }
    /// <summary>weight_p: the share of <c>weight_hh_l0</c> dropped in each training call.</summary>
    public double WeightP { get; set; }

    /// <summary>The recurrent matrix this call would use: a weight-dropped copy in training, the raw parameter in eval.</summary>
    public Tensor EffectiveWeightHh() =>
        training && WeightP > 0 ? F.dropout(get_parameter("weight_hh_l0")!, WeightP, training: true) : get_parameter("weight_hh_l0")!.alias();

    /// <summary>Runs the layer over <paramref name="input"/> [batch, seq, input].</summary>
    /// <param name="input">Batch-first input.</param>
    /// <param name="state">Initial (h, c), each [directions, batch, hidden]; null for zeros.</param>
    /// <returns>Output [batch, seq, directions·hidden] and the final (h, c), each [directions, batch, hidden].</returns>
    public override (Tensor Output, Tensor H, Tensor C) forward(Tensor input, (Tensor H, Tensor C)? state)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.dim() != 3 || input.shape[2] != InputSize)
            throw new ArgumentException($"expected input [batch, seq, {InputSize}], got [{string.Join(", ", input.shape)}]", nameof(input));
        using var scope = NewDisposeScope();
        long bs = input.shape[0];
        var outs = new List<Tensor>(2);
        var hs = new List<Tensor>(2);
        var cs = new List<Tensor>(2);
        for (int d = 0; d < _suffixes.Length; d++)
        {
            string s = _suffixes[d];
            var whh = d == 0 ? EffectiveWeightHh() : get_parameter("weight_hh_l0" + s)!;
            var h = state is { } st ? st.H[d] : input.new_zeros(bs, HiddenSize);
            var c = state is { } st2 ? st2.C[d] : input.new_zeros(bs, HiddenSize);
            var (o, hn, cn) = Run(input, get_parameter("weight_ih_l0" + s)!, whh, get_parameter("bias_ih_l0" + s)!, get_parameter("bias_hh_l0" + s)!, h, c, reverse: d == 1);
            outs.Add(o);
            hs.Add(hn);
            cs.Add(cn);
        }
        var output = outs.Count == 1 ? outs[0] : cat(outs, -1);
        return (output.MoveToOuterDisposeScope(), stack(hs).MoveToOuterDisposeScope(), stack(cs).MoveToOuterDisposeScope());
    }

    private static (Tensor Output, Tensor H, Tensor C) Run(Tensor x, Tensor wih, Tensor whh, Tensor bih, Tensor bhh, Tensor h, Tensor c, bool reverse)
    {
        long sl = x.shape[1];
        // Input gates for every step at once, then the recurrence: what ATen's CPU LSTM does (pre_compute_input).
        var inputGates = F.linear(x, wih, bih);
        var steps = new Tensor[sl];
        for (long i = 0; i < sl; i++)
        {
            long t = reverse ? sl - 1 - i : i;
            var gates = F.linear(h, whh, bhh).add(inputGates.select(1, t), Scalars.One);
            var chunks = gates.chunk(4, 1);
            var ingate = chunks[0].sigmoid();
            var forgetgate = chunks[1].sigmoid();
            var cellgate = chunks[2].tanh();
            var outgate = chunks[3].sigmoid();
            c = (forgetgate * c).add(ingate * cellgate, Scalars.One);
            h = outgate * c.tanh();
            steps[t] = h;
        }
        var output = sl == 0 ? x.new_zeros(x.shape[0], 0, h.shape[1]) : stack(steps, 1);
        return (output, h, c);
    }

    /// <summary>
    /// Does nothing: every component is registered by name in the constructor. TorchSharp's default registers fields by
    /// reflection, which would list references (such as a tied embedding) a second time under field names.
    /// </summary>
    protected override void RegisterComponents()
    {
    }
}
