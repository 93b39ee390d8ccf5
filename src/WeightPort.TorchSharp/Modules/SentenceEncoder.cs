using TorchSharp;
using static TorchSharp.torch;

namespace WeightPort.TorchSharp.Modules;

/// <summary>
/// fastai's <c>SentenceEncoder</c> (v2) and <c>MultiBatchEncoder</c> (v1): resets the encoder, runs it over bptt-sized
/// chunks carrying the hidden state, keeps the chunks within <c>max_len</c> of the end, and returns the outputs with
/// the padding mask. It holds no parameters of its own.
/// </summary>
public sealed class SentenceEncoder
{
    internal SentenceEncoder(AwdLstmEncoder encoder, long bptt, long? maxLength, ClassifierSemantics semantics)
    {
        if (bptt <= 0) throw new ArgumentOutOfRangeException(nameof(bptt), bptt, "bptt must be positive");
        Encoder = encoder;
        Bptt = bptt;
        MaxLength = maxLength;
        Semantics = semantics;
    }

    /// <summary>The encoder.</summary>
    public AwdLstmEncoder Encoder { get; }

    /// <summary>Chunk length (fastai's <c>seq_len</c>: 72 in v2, 70 in v1).</summary>
    public long Bptt { get; }

    /// <summary>Only chunks starting within this many tokens of the end are kept (fastai: 20·bptt); null keeps all.</summary>
    public long? MaxLength { get; }

    /// <summary>Whose chunking this is.</summary>
    public ClassifierSemantics Semantics { get; }

    /// <summary>Encodes token ids [batch, seq]; returns outputs [batch, kept, emb] and the padding mask [batch, kept].</summary>
    public (Tensor Output, Tensor Mask) Encode(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        long bs = input.shape[0], sl = input.shape[1];
        long pad = Encoder.Architecture.PadToken;
        Encoder.ResetState();
        using var scope = NewDisposeScope();
        using Scalar padScalar = pad.ToScalar();
        var mask = input.eq(padScalar);
        var outs = new List<Tensor>();
        var masks = new List<Tensor>();
        for (long i = 0; i < sl; i += Bptt)
        {
            long len = Math.Min(Bptt, sl - i);
            var chunk = input.narrow(1, i, len);
            bool keep = Semantics == ClassifierSemantics.FastaiV2 ? MaxLength is null || sl - i <= MaxLength : i > sl - (MaxLength ?? long.MaxValue / 2);
            Tensor o;
            if (Semantics == ClassifierSemantics.FastaiV2)
            {
                // v2 runs only the rows whose chunk starts with a real token: batches sorted by decreasing length.
                long realBs = input.select(1, i).ne(padScalar).sum().item<long>();
                if (realBs == 0)
                {
                    o = zeros(bs, len, Encoder.Architecture.EmbSize, dtype: Encoder.Embedding.weight!.dtype, device: input.device);
                }
                else
                {
                    o = Encoder.forward(chunk.narrow(0, 0, realBs));
                    if (realBs < bs) o = cat([o, o.new_zeros(bs - realBs, o.shape[1], o.shape[2])], 0);
                }
            }
            else
            {
                o = Encoder.forward(chunk);
            }
            if (keep)
            {
                outs.Add(o);
                masks.Add(mask.narrow(1, i, len));
            }
        }
        var output = cat(outs, 1).MoveToOuterDisposeScope();
        var m = cat(masks, 1).MoveToOuterDisposeScope();
        return (output, m);
    }
}
