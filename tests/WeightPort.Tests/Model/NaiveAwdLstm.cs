using WeightPort.Fastai;
using WeightPort.Model;

namespace WeightPort.Tests.Model;

/// <summary>
/// A deliberately plain double-precision AWD-LSTM (fastai v2 eval semantics, docs/fastai-layouts.md §5–§6), written from
/// the equations and independent of the library's kernels: the oracle for the forward-pass tests.
/// </summary>
internal sealed class NaiveAwdLstm
{
    private readonly AwdLstmWeights _w;
    private double[][][] _h = [];
    private double[][][] _c = [];

    public NaiveAwdLstm(AwdLstmWeights weights)
    {
        _w = weights;
        Reset();
    }

    private AwdLstmConfig Config => _w.Config;

    public int BatchSize { get; private set; }

    public void Reset()
    {
        BatchSize = 0;
        _h = new double[Config.Layers * Config.Directions][][];
        _c = new double[Config.Layers * Config.Directions][][];
        for (int i = 0; i < _h.Length; i++) { _h[i] = []; _c[i] = []; }
    }

    private void Resize(int batch)
    {
        for (int i = 0; i < _h.Length; i++)
        {
            int hidden = Config.LayerHiddenSize(i / Config.Directions);
            _h[i] = Enumerable.Range(0, batch).Select(b => b < _h[i].Length ? _h[i][b] : new double[hidden]).ToArray();
            _c[i] = Enumerable.Range(0, batch).Select(b => b < _c[i].Length ? _c[i][b] : new double[hidden]).ToArray();
        }
        BatchSize = batch;
    }

    /// <summary>Last-layer outputs [b][t][emb].</summary>
    public double[][][] Encode(int[] tokens, int batch, int seq)
    {
        if (batch != BatchSize) Resize(batch);
        int emb = Config.EmbSize;
        ReadOnlySpan<float> e = _w.Embedding.Span;
        double[][][] x = new double[batch][][];
        for (int b = 0; b < batch; b++)
        {
            x[b] = new double[seq][];
            for (int t = 0; t < seq; t++)
            {
                x[b][t] = new double[emb];
                for (int j = 0; j < emb; j++) x[b][t][j] = e[tokens[b * seq + t] * emb + j];
            }
        }
        for (int l = 0; l < Config.Layers; l++)
        {
            int hidden = Config.LayerHiddenSize(l), input = Config.LayerInputSize(l), dirs = Config.Directions;
            var y = new double[batch][][];
            for (int b = 0; b < batch; b++)
            {
                y[b] = new double[seq][];
                for (int t = 0; t < seq; t++) y[b][t] = new double[hidden * dirs];
            }
            for (int d = 0; d < dirs; d++)
            {
                LstmDirectionWeights w = _w.Layers[l][d];
                ReadOnlySpan<float> wih = w.WeightIh.Span, whh = w.WeightHh.Span, bih = w.BiasIh.Span, bhh = w.BiasHh.Span;
                int state = l * dirs + d;
                for (int b = 0; b < batch; b++)
                {
                    double[] h = _h[state][b], c = _c[state][b];
                    for (int s = 0; s < seq; s++)
                    {
                        int t = d == 0 ? s : seq - 1 - s;
                        var z = new double[4 * hidden];
                        for (int g = 0; g < 4 * hidden; g++)
                        {
                            double sum = (double)bih[g] + bhh[g];
                            for (int p = 0; p < input; p++) sum += (double)wih[g * input + p] * x[b][t][p];
                            for (int p = 0; p < hidden; p++) sum += (double)whh[g * hidden + p] * h[p];
                            z[g] = sum;
                        }
                        var hn = new double[hidden];
                        for (int j = 0; j < hidden; j++)
                        {
                            double i = Sig(z[j]), f = Sig(z[hidden + j]), gg = Math.Tanh(z[2 * hidden + j]), o = Sig(z[3 * hidden + j]);
                            c[j] = f * c[j] + i * gg;
                            hn[j] = o * Math.Tanh(c[j]);
                            y[b][t][d * hidden + j] = hn[j];
                        }
                        h = hn;
                    }
                    _h[state][b] = h;
                }
            }
            x = y;
        }
        return x;
    }

    private static double Sig(double v) => 1 / (1 + Math.Exp(-v));

    /// <summary>Logits of one output row.</summary>
    public double[] Decode(double[] row)
    {
        ReadOnlySpan<float> w = _w.EffectiveDecoderWeight.Span;
        int emb = Config.EmbSize;
        var logits = new double[Config.VocabSize];
        for (int v = 0; v < logits.Length; v++)
        {
            double sum = _w.DecoderBias is { } b ? b.Span[v] : 0;
            for (int j = 0; j < emb; j++) sum += (double)w[v * emb + j] * row[j];
            logits[v] = sum;
        }
        return logits;
    }

    /// <summary>fastai v2 SentenceEncoder + masked_concat_pool + head, all in double.</summary>
    public double[][] ClassifyV2(int[] tokens, int batch, int seq, int bptt, int maxLen)
    {
        Reset();
        int pad = Config.PadToken, emb = Config.EmbSize;
        var outs = new List<double[][][]>();
        var masks = new List<bool[][]>();
        for (int i = 0; i < seq; i += bptt)
        {
            int len = Math.Min(bptt, seq - i);
            int realBs = Enumerable.Range(0, batch).Count(b => tokens[b * seq + i] != pad);
            var chunk = new int[realBs * len];
            for (int b = 0; b < realBs; b++)
                for (int t = 0; t < len; t++) chunk[b * len + t] = tokens[b * seq + i + t];
            double[][][] o = Encode(chunk, realBs, len);
            if (seq - i <= maxLen)
            {
                outs.Add(Enumerable.Range(0, batch).Select(b => b < realBs ? o[b] : Enumerable.Range(0, len).Select(_ => new double[emb]).ToArray()).ToArray());
                masks.Add(Enumerable.Range(0, batch).Select(b => Enumerable.Range(0, len).Select(t => tokens[b * seq + i + t] == pad).ToArray()).ToArray());
            }
        }
        var result = new double[batch][];
        for (int b = 0; b < batch; b++)
        {
            double[][] rows = outs.SelectMany(o => o[b]).ToArray();
            bool[] mask = masks.SelectMany(m => m[b]).ToArray();
            int total = rows.Length, pads = mask.Count(m => m), lastPads = mask.Skip(Math.Max(0, total - bptt)).Count(m => m);
            var pooled = new double[3 * emb];
            double[] last = rows[total - lastPads - 1];
            for (int j = 0; j < emb; j++)
            {
                double max = double.NegativeInfinity, sum = 0;
                for (int t = 0; t < total; t++)
                    if (!mask[t]) { max = Math.Max(max, rows[t][j]); sum += rows[t][j]; }
                pooled[j] = last[j];
                pooled[emb + j] = max;
                pooled[2 * emb + j] = sum / (total - pads);
            }
            result[b] = Head(pooled);
        }
        return result;
    }

    /// <summary>fastai v1 MultiBatchEncoder + masked_concat_pool + head, all in double.</summary>
    public double[][] ClassifyV1(int[] tokens, int batch, int seq, int bptt, int maxLen)
    {
        Reset();
        int pad = Config.PadToken, emb = Config.EmbSize;
        var rowsPerBatch = Enumerable.Range(0, batch).Select(_ => new List<double[]>()).ToArray();
        var maskPerBatch = Enumerable.Range(0, batch).Select(_ => new List<bool>()).ToArray();
        for (int i = 0; i < seq; i += bptt)
        {
            int len = Math.Min(bptt, seq - i);
            var chunk = new int[batch * len];
            for (int b = 0; b < batch; b++)
                for (int t = 0; t < len; t++) chunk[b * len + t] = tokens[b * seq + i + t];
            double[][][] o = Encode(chunk, batch, len);
            if (i > seq - maxLen)
                for (int b = 0; b < batch; b++)
                    for (int t = 0; t < len; t++)
                    {
                        rowsPerBatch[b].Add(o[b][t]);
                        maskPerBatch[b].Add(tokens[b * seq + i + t] == pad);
                    }
        }
        var result = new double[batch][];
        for (int b = 0; b < batch; b++)
        {
            List<double[]> rows = rowsPerBatch[b];
            int total = rows.Count, pads = maskPerBatch[b].Count(m => m);
            var pooled = new double[3 * emb];
            for (int j = 0; j < emb; j++)
            {
                double max = double.NegativeInfinity, sum = 0;
                for (int t = 0; t < total; t++)
                    if (!maskPerBatch[b][t]) { max = Math.Max(max, rows[t][j]); sum += rows[t][j]; }
                pooled[j] = rows[total - 1][j];
                pooled[emb + j] = max;
                pooled[2 * emb + j] = sum / total * total / (total - pads);
            }
            result[b] = Head(pooled);
        }
        return result;
    }

    private double[] Head(double[] x)
    {
        IReadOnlyList<ClassifierBlockWeights> blocks = _w.ClassifierHead!;
        for (int k = 0; k < blocks.Count; k++)
        {
            ClassifierBlockWeights bl = blocks[k];
            var bn = new double[bl.InFeatures];
            for (int j = 0; j < bn.Length; j++)
                bn[j] = (x[j] - bl.RunningMean.Span[j]) / Math.Sqrt(bl.RunningVar.Span[j] + (double)bl.BnEpsilon) * bl.BnWeight.Span[j] + bl.BnBias.Span[j];
            var y = new double[bl.OutFeatures];
            for (int o = 0; o < y.Length; o++)
            {
                double sum = bl.LinearBias is { } lb ? lb.Span[o] : 0;
                for (int j = 0; j < bn.Length; j++) sum += (double)bl.LinearWeight.Span[o * bl.InFeatures + j] * bn[j];
                y[o] = k < blocks.Count - 1 ? Math.Max(0, sum) : sum;
            }
            x = y;
        }
        return x;
    }
}
