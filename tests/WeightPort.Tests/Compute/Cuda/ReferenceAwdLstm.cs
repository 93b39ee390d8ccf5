using WeightPort.Fastai;
using WeightPort.Model;

namespace WeightPort.Tests.Compute.Cuda;

/// <summary>
/// The eval-mode AWD-LSTM forward pass (docs/fastai-layouts.md §5) in double precision, written as plainly as possible:
/// the oracle for the CUDA engine. Stateful like fastai v2, with its batch-size change rule.
/// </summary>
internal sealed class ReferenceAwdLstm
{
    private readonly AwdLstmWeights _w;
    private readonly AwdLstmConfig _c;
    private double[][][] _h; // [layer][direction][batch·hidden]
    private double[][][] _cell;
    private int _batch;

    public ReferenceAwdLstm(AwdLstmWeights weights)
    {
        _w = weights;
        _c = weights.Config;
        _h = _cell = [];
        Reset();
    }

    public void Reset()
    {
        _batch = 0;
        _h = NewState(0, null);
        _cell = NewState(0, null);
    }

    /// <summary>[batch, seq, emb] outputs of the last layer.</summary>
    public double[] Encode(int[] tokens, int batch, int seq)
    {
        if (batch != _batch)
        {
            _h = NewState(batch, _h);
            _cell = NewState(batch, _cell);
            _batch = batch;
        }
        int emb = _c.EmbSize;
        ReadOnlySpan<float> table = _w.Embedding.Span;
        var x = new double[batch * seq * emb];
        for (int b = 0; b < batch; b++)
            for (int t = 0; t < seq; t++)
                for (int e = 0; e < emb; e++)
                    x[(b * seq + t) * emb + e] = table[tokens[b * seq + t] * emb + e];

        int width = emb;
        for (int l = 0; l < _c.Layers; l++)
        {
            int input = _c.LayerInputSize(l), hidden = _c.LayerHiddenSize(l), dirs = _c.Directions;
            if (input != width) throw new InvalidOperationException("layer widths do not chain");
            var y = new double[batch * seq * dirs * hidden];
            for (int d = 0; d < dirs; d++)
            {
                LstmDirectionWeights w = _w.Layers[l][d];
                ReadOnlySpan<float> wih = w.WeightIh.Span, whh = w.WeightHh.Span, bih = w.BiasIh.Span, bhh = w.BiasHh.Span;
                double[] h = _h[l][d], c = _cell[l][d];
                for (int step = 0; step < seq; step++)
                {
                    int t = d == 0 ? step : seq - 1 - step;
                    var hNew = new double[batch * hidden];
                    for (int b = 0; b < batch; b++)
                    {
                        var gates = new double[4 * hidden];
                        for (int g = 0; g < 4 * hidden; g++)
                        {
                            double sum = bih[g] + bhh[g];
                            for (int k = 0; k < input; k++) sum += wih[g * input + k] * x[(b * seq + t) * input + k];
                            for (int k = 0; k < hidden; k++) sum += whh[g * hidden + k] * h[b * hidden + k];
                            gates[g] = sum;
                        }
                        for (int j = 0; j < hidden; j++)
                        {
                            double i = Sigmoid(gates[j]), f = Sigmoid(gates[hidden + j]), gg = Math.Tanh(gates[2 * hidden + j]), o = Sigmoid(gates[3 * hidden + j]);
                            double cn = f * c[b * hidden + j] + i * gg;
                            c[b * hidden + j] = cn;
                            hNew[b * hidden + j] = o * Math.Tanh(cn);
                            y[(b * seq + t) * dirs * hidden + d * hidden + j] = hNew[b * hidden + j];
                        }
                    }
                    Array.Copy(hNew, h, h.Length);
                }
            }
            x = y;
            width = dirs * hidden;
        }
        return x;
    }

    /// <summary>[rows, vocab] logits.</summary>
    public double[] Decode(ReadOnlySpan<float> hidden, int rows)
    {
        int emb = _c.EmbSize, vocab = _c.VocabSize;
        ReadOnlySpan<float> w = _w.EffectiveDecoderWeight.Span;
        ReadOnlySpan<float> bias = _w.DecoderBias is { } b ? b.Span : default;
        var logits = new double[rows * vocab];
        for (int r = 0; r < rows; r++)
            for (int v = 0; v < vocab; v++)
            {
                double sum = bias.IsEmpty ? 0 : bias[v];
                for (int e = 0; e < emb; e++) sum += (double)hidden[r * emb + e] * w[v * emb + e];
                logits[r * vocab + v] = sum;
            }
        return logits;
    }

    /// <summary>fastai v2 <c>_change_one_hidden</c>: keep the first rows, append zero rows.</summary>
    private double[][][] NewState(int batch, double[][][]? old)
    {
        var state = new double[_c.Layers][][];
        for (int l = 0; l < _c.Layers; l++)
        {
            int hidden = _c.LayerHiddenSize(l);
            state[l] = new double[_c.Directions][];
            for (int d = 0; d < _c.Directions; d++)
            {
                state[l][d] = new double[batch * hidden];
                if (old is not null && old[l][d].Length > 0)
                    Array.Copy(old[l][d], state[l][d], Math.Min(old[l][d].Length, batch * hidden));
            }
        }
        return state;
    }

    private static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));
}
