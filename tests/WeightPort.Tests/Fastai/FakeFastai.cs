using WeightPort.Fastai;
using WeightPort.Tensors;

namespace WeightPort.Tests.Fastai;

/// <summary>Generates fastai-shaped checkpoints. Values are k/1024 for |k| ≤ 512: exact in float16, not all in bfloat16.</summary>
internal static class FakeFastai
{
    public static float[] Values(int seed, long n)
    {
        var rng = new Random(seed);
        var v = new float[n];
        for (long i = 0; i < n; i++) v[i] = rng.Next(-512, 513) / 1024f;
        return v;
    }

    public static string Prefix(FakeSpec s) => s.Kind switch
    {
        FakeKind.Encoder => "",
        FakeKind.Classifier when s.Version != FakeVersion.V07 => "0.module.",
        _ => "0.",
    };

    public static CheckpointBuilder Build(FakeSpec s)
    {
        var b = new CheckpointBuilder();
        string w = s.Wrapped ? "model." : "";
        string p = w + Prefix(s);
        int seed = 100;
        void Add(string name, long[] shape, DType? dt = null) => b.Add(name, Values(seed++, shape.Aggregate(1L, (x, y) => x * y)), shape, dt ?? s.DType);

        Add(p + "encoder.weight", [s.Vocab, s.Emb]);
        string alias = s.Version == FakeVersion.V07 ? "encoder_with_dropout.embed.weight" : "encoder_dp.emb.weight";
        if (s.SharedStorage) b.AddSameView(p + alias, p + "encoder.weight");
        else b.Add(p + alias, Values(100, (long)s.Vocab * s.Emb), [s.Vocab, s.Emb], s.DType);

        int dirs = s.Bidir ? 2 : 1;
        for (int l = 0; l < s.Layers; l++)
        {
            long input = l == 0 ? s.Emb : s.NHid;
            long h = (l == s.Layers - 1 ? s.Emb : s.NHid) / dirs;
            string r = $"{p}rnns.{l}.";
            var reverse = new List<(string, long[])>();
            if (s.Bidir)
                reverse.AddRange([("weight_ih_l0_reverse", [4 * h, input]), ("weight_hh_l0_reverse", [4 * h, h]), ("bias_ih_l0_reverse", [4 * h]), ("bias_hh_l0_reverse", [4 * h])]);
            switch (s.Version)
            {
                case FakeVersion.V2:
                    Add(r + "weight_hh_l0_raw", [4 * h, h]);
                    Add(r + "module.weight_ih_l0", [4 * h, input]);
                    Add(r + "module.bias_ih_l0", [4 * h]);
                    Add(r + "module.bias_hh_l0", [4 * h]);
                    foreach (var (n, sh) in reverse) Add(r + "module." + n, sh);
                    break;
                case FakeVersion.V1:
                    Add(r + "weight_hh_l0_raw", [4 * h, h]);
                    Add(r + "module.weight_ih_l0", [4 * h, input]);
                    b.AddSameView(r + "module.weight_hh_l0", r + "weight_hh_l0_raw");
                    Add(r + "module.bias_ih_l0", [4 * h]);
                    Add(r + "module.bias_hh_l0", [4 * h]);
                    foreach (var (n, sh) in reverse) Add(r + "module." + n, sh);
                    break;
                case FakeVersion.V07:
                    Add(r + "module.weight_ih_l0", [4 * h, input]);
                    Add(r + "module.bias_ih_l0", [4 * h]);
                    Add(r + "module.bias_hh_l0", [4 * h]);
                    foreach (var (n, sh) in reverse) Add(r + "module." + n, sh);
                    Add(r + "module.weight_hh_l0_raw", [4 * h, h]);
                    if (s.V07HhCopy) b.AddSameView(r + "module.weight_hh_l0", r + "module.weight_hh_l0_raw");
                    break;
            }
        }

        if (s.Kind == FakeKind.LanguageModel)
        {
            if (s.Untied) Add(w + "1.decoder.weight", [s.Vocab, s.Emb]);
            else if (s.SharedStorage) b.AddSameView(w + "1.decoder.weight", p + "encoder.weight");
            else b.Add(w + "1.decoder.weight", Values(100, (long)s.Vocab * s.Emb), [s.Vocab, s.Emb], s.DType);
            if (s.DecoderBias) Add(w + "1.decoder.bias", [s.Vocab]);
        }
        else if (s.Kind == FakeKind.Classifier)
        {
            int[] dims = [3 * s.Emb, .. s.LinFtrs, s.Classes];
            int blocks = dims.Length - 1;
            bool[] drop = s.HeadDropout ?? [.. Enumerable.Repeat(true, blocks)];
            int flat = 0;
            for (int k = 0; k < blocks; k++)
            {
                long nin = dims[k], nout = dims[k + 1];
                string bn, lin;
                switch (s.Version)
                {
                    case FakeVersion.V2:
                        bn = $"{w}1.layers.{k}.0.";
                        lin = $"{w}1.layers.{k}.{(drop[k] ? 2 : 1)}.";
                        break;
                    case FakeVersion.V1:
                        bn = $"{w}1.layers.{flat}.";
                        flat += drop[k] ? 2 : 1;
                        lin = $"{w}1.layers.{flat}.";
                        flat += k < blocks - 1 ? 2 : 1; // Linear, then ReLU except after the last block
                        break;
                    default:
                        bn = $"{w}1.layers.{k}.bn.";
                        lin = $"{w}1.layers.{k}.lin.";
                        break;
                }
                if (s.Version == FakeVersion.V07) AddLinear();
                // BatchNorm stays float32 under fastai's model2half (bn2float).
                Add(bn + "weight", [nin], DType.Float32);
                Add(bn + "bias", [nin], DType.Float32);
                Add(bn + "running_mean", [nin], DType.Float32);
                b.Add(bn + "running_var", [.. Values(seed++, nin).Select(v => Math.Abs(v) + 0.5f)], [nin], DType.Float32);
                b.AddInt64(bn + "num_batches_tracked", [3], []);
                if (s.Version != FakeVersion.V07) AddLinear();

                void AddLinear()
                {
                    Add(lin + "weight", [nout, nin]);
                    if (s.Version != FakeVersion.V2) Add(lin + "bias", [nout]);
                }
            }
        }

        if (s.Wrapped)
        {
            b.Add("opt.state.0.exp_avg", Values(999, 4), [4]);
            b.Add("opt.state.0.exp_avg_sq", Values(998, 4), [4]);
        }
        return b;
    }

    public static FastaiCheckpoint Open(FakeSpec s, FastaiOptions? options = null) => FastaiCheckpoint.From(Build(s).Build(), options);
}
