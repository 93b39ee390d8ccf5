using System.Globalization;
using WeightPort.Tensors;

namespace WeightPort.Fastai;

/// <summary>
/// Infers the AWD-LSTM configuration from shapes (docs/fastai-layouts.md §3.2) and checks every tensor's shape against it:
/// layer l has input emb (l = 0) or n_hid, hidden (n_hid, or emb for the last layer) / directions, gates ×4.
/// </summary>
internal static class ConfigInference
{
    /// <summary>Everything but <see cref="FastaiModelConfig.Tied"/>, which needs values.</summary>
    /// <exception cref="CheckpointFormatException">A shape that does not fit the configuration the other shapes imply.</exception>
    public static FastaiModelConfig Infer(PlacedTensors placed)
    {
        var s = placed.Structure;
        var emb = placed.Get(FastaiRole.Embedding);
        if (emb.Tensor.Shape.Count != 2)
            throw Bad(emb, $"the embedding must be 2-D [vocab, emb], it is {Show(emb.Tensor.Shape)}");
        int vocab = ToInt(emb, emb.Tensor.Shape[0]), embSize = ToInt(emb, emb.Tensor.Shape[1]);
        int dirs = s.Bidirectional ? 2 : 1;
        int nHid = embSize;
        if (s.Layers > 1)
        {
            var ih1 = placed.Get(FastaiRole.WeightIh, 1);
            if (ih1.Tensor.Shape.Count != 2) throw Bad(ih1, $"expected a 2-D matrix, found {Show(ih1.Tensor.Shape)}");
            nHid = ToInt(ih1, ih1.Tensor.Shape[1]);
        }
        var model = new AwdLstmConfig(vocab, embSize, nHid, s.Layers, s.Bidirectional);

        for (int l = 0; l < s.Layers; l++)
        {
            long h = model.LayerHiddenSize(l), input = model.LayerInputSize(l);
            foreach (var (role, shape) in new (FastaiRole, long[])[]
                     {
                         (FastaiRole.WeightIh, [4 * h, input]), (FastaiRole.WeightHh, [4 * h, h]),
                         (FastaiRole.BiasIh, [4 * h]), (FastaiRole.BiasHh, [4 * h]),
                         (FastaiRole.WeightHhCopy, [4 * h, h]),
                         (FastaiRole.WeightIhReverse, [4 * h, input]), (FastaiRole.WeightHhReverse, [4 * h, h]),
                         (FastaiRole.BiasIhReverse, [4 * h]), (FastaiRole.BiasHhReverse, [4 * h]),
                     })
            {
                if (placed.Find(role, l) is { } t) Expect(t, shape, $"layer {l} of emb {embSize}, n_hid {nHid}, {dirs} direction{(dirs == 1 ? "" : "s")}");
            }
        }
        if (placed.Find(FastaiRole.EmbeddingCopy) is { } alias) Expect(alias, [vocab, embSize], "the embedding alias");

        var decW = placed.Find(FastaiRole.DecoderWeight);
        var decB = placed.Find(FastaiRole.DecoderBias);
        if (decW is not null) Expect(decW, [vocab, embSize], "the decoder of a tied-size AWD-LSTM LM");
        if (decB is not null) Expect(decB, [vocab], "the decoder bias");
        // WeightPort's canonical files store a tied decoder once, as encoder.weight: a bias alone means "tied".
        bool canonicalTied = decB is not null && decW is null && s.Descriptor.Layout == FastaiLayout.Canonical;
        if (decB is not null && decW is null && !canonicalTied)
            throw Bad(decB, "a decoder bias without a decoder weight");

        var headSizes = new List<int>();
        var dropoutFree = new List<bool>();
        bool linearBias = false;
        if (s.Head.Count > 0)
        {
            long width = 3L * embSize;
            headSizes.Add(checked((int)width));
            foreach (var b in s.Head)
            {
                var lin = placed.Get(FastaiRole.HeadLinearWeight, b.Block);
                if (lin.Tensor.Shape.Count != 2) throw Bad(lin, $"expected a 2-D Linear weight, found {Show(lin.Tensor.Shape)}");
                string where = $"head block {b.Block} (input {width} = " + (b.Block == 0 ? $"3 × emb {embSize} from concat pooling)" : "the previous block's output)");
                foreach (var role in new[] { FastaiRole.HeadBnWeight, FastaiRole.HeadBnBias, FastaiRole.HeadBnRunningMean, FastaiRole.HeadBnRunningVar })
                    Expect(placed.Get(role, b.Block), [width], where);
                if (placed.Find(FastaiRole.HeadBnNumBatchesTracked, b.Block) is { } nbt && nbt.Tensor.ElementCount != 1)
                    throw Bad(nbt, $"num_batches_tracked must be a scalar, it is {Show(nbt.Tensor.Shape)}");
                long outW = lin.Tensor.Shape[0];
                Expect(lin, [outW, width], where);
                if (placed.Find(FastaiRole.HeadLinearBias, b.Block) is { } lb)
                {
                    Expect(lb, [outW], where);
                    linearBias = true;
                }
                if (outW <= 0) throw Bad(lin, "a head Linear with no outputs");
                headSizes.Add(ToInt(lin, outW));
                if (b.BatchNorm is int bn) dropoutFree.Add(b.Linear == bn + 1);
                width = outW;
            }
        }

        foreach (var t in AllPlaced(placed))
        {
            bool isCounter = placed.Structure.Map[t.Key].Role == FastaiRole.HeadBnNumBatchesTracked;
            if (!isCounter && !t.Tensor.DType.IsFloatingPoint())
                throw Bad(t, $"expected a floating-point tensor, found {t.Tensor.DType.TorchName()}");
        }

        return new FastaiModelConfig(model, decW is not null || canonicalTied, canonicalTied, decB is not null, headSizes, linearBias, dropoutFree, emb.Tensor.DType);
    }

    private static IEnumerable<SourceTensor> AllPlaced(PlacedTensors placed)
    {
        foreach (var (key, m) in placed.Structure.Map)
            if (placed.Find(m.Role, m.Index) is { } t && t.Key == key) yield return t;
    }

    private static void Expect(SourceTensor t, long[] shape, string context)
    {
        if (!t.Tensor.Shape.SequenceEqual(shape))
            throw Bad(t, $"shape {Show(t.Tensor.Shape)} does not fit {context}: expected {Show(shape)}");
    }

    private static int ToInt(SourceTensor t, long v) =>
        v is > 0 and <= int.MaxValue ? (int)v : throw Bad(t, $"dimension {v.ToString(CultureInfo.InvariantCulture)} is out of range");

    internal static string Show(IReadOnlyList<long> shape) => "[" + string.Join(", ", shape.Select(x => x.ToString(CultureInfo.InvariantCulture))) + "]";

    private static CheckpointFormatException Bad(SourceTensor t, string reason) =>
        new(CheckpointError.InvalidContent, $"'{t.SourcePath}': {reason}", key: t.SourcePath);
}
