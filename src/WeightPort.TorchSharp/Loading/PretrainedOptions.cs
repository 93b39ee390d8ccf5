using WeightPort.TorchSharp.Modules;
using static TorchSharp.torch;

namespace WeightPort.TorchSharp.Loading;

/// <summary>How <c>FromPretrained</c> and <c>FromEncoder</c> build a module from a checkpoint.</summary>
public sealed record PretrainedOptions
{
    /// <summary>Where the module lives (default: the CPU). Tensors are built on the CPU from the file, then moved.</summary>
    public Device? Device { get; init; }

    /// <summary>
    /// The floating-point type of the module: Float32 (default), Float16 or BFloat16. A cast that changes any value
    /// (float32 weights that are not exactly representable in float16, say) is refused unless
    /// <see cref="AllowLossyCast"/>. Integer buffers (BatchNorm's <c>num_batches_tracked</c>) keep their type.
    /// </summary>
    public ScalarType DType { get; init; } = ScalarType.Float32;

    /// <summary>Accept a cast to <see cref="DType"/> that changes values.</summary>
    public bool AllowLossyCast { get; init; }

    /// <summary>Dropout probabilities; null for fastai's defaults of the model kind (<c>awd_lstm_lm_config</c> or <c>awd_lstm_clas_config</c>).</summary>
    public AwdLstmDropouts? Dropouts { get; init; }

    /// <summary>Re-index the embedding and decoder bias to a new vocabulary (language models and encoders); null keeps the file's.</summary>
    public VocabularyMatch? Vocabulary { get; init; }

    /// <summary>Force a layout (<c>weightport convert --layout</c>'s ids); null detects it.</summary>
    public string? Layout { get; init; }

    /// <summary>Accept an embedding alias that differs from <c>encoder.weight</c> (keeps <c>encoder.weight</c>), as <c>--allow-embedding-mismatch</c>.</summary>
    public bool AllowEmbeddingMismatch { get; init; }

    /// <summary>Classifiers: chunking and pooling; null follows the file (fastai 1.x files: <see cref="ClassifierSemantics.FastaiV1"/>, bptt 70; else v2, bptt 72).</summary>
    public ClassifierSemantics? Semantics { get; init; }

    /// <summary>Classifiers: chunk length; null for the semantics' default (72 or 70).</summary>
    public int? Bptt { get; init; }
}
