using WeightPort.Conversion;
using WeightPort.Fastai;
using WeightPort.Formats;
using WeightPort.Model;
using WeightPort.Tensors;
using WeightPort.TorchSharp.Modules;
using static TorchSharp.torch;

namespace WeightPort.TorchSharp.Loading;

/// <summary>
/// The one place this library uses WeightPort's core API, its public part only. It opens a
/// checkpoint with the same validation as <c>weightport convert</c>, plans the canonical tensors and hands them out as
/// <see cref="CoreTensor"/>s whose bytes come straight from the memory-mapped file.
/// </summary>
internal sealed class CoreCheckpoint : IDisposable
{
    private readonly FastaiCheckpoint _checkpoint;

    private CoreCheckpoint(FastaiCheckpoint checkpoint, CheckpointDescription description, IReadOnlyList<CoreTensor> tensors)
    {
        _checkpoint = checkpoint;
        Description = description;
        Tensors = tensors;
    }

    /// <summary>What the checkpoint holds.</summary>
    public CheckpointDescription Description { get; }

    /// <summary>The canonical tensors, in the plan's order.</summary>
    public IReadOnlyList<CoreTensor> Tensors { get; }

    /// <summary>The file.</summary>
    public string Path => _checkpoint.Checkpoint.Path;

    /// <summary>Opens, validates and plans <paramref name="path"/>.</summary>
    /// <exception cref="CheckpointFormatException">Unreadable, refused by validation, a refused cast, or not an AWD-LSTM.</exception>
    /// <exception cref="ArgumentException">An unknown layout id, or a dtype other than Float32, Float16 or BFloat16.</exception>
    public static CoreCheckpoint Open(string path, PretrainedOptions options)
    {
        FastaiLayout? layout = null;
        if (options.Layout is { } id && !FastaiLayouts.TryParse(id, out layout))
            throw new ArgumentException($"unknown layout '{id}'; one of: {string.Join(", ", FastaiLayouts.AllIds)}", nameof(options));
        var target = options.DType switch
        {
            ScalarType.Float32 => DType.Float32,
            ScalarType.Float16 => DType.Float16,
            ScalarType.BFloat16 => DType.BFloat16,
            _ => throw new ArgumentException($"dtype must be Float32, Float16 or BFloat16, not {options.DType}", nameof(options)),
        };
        var checkpoint = FastaiCheckpoint.Open(path, new FastaiOptions { Layout = layout, AllowEmbeddingMismatch = options.AllowEmbeddingMismatch });
        try
        {
            var config = checkpoint.Config ?? throw new CheckpointFormatException(CheckpointError.InvalidContent,
                "the checkpoint was not recognised as a fastai AWD-LSTM (layout 'passthrough'), so it cannot be loaded as one", path);
            var plan = ConversionPlan.Create(checkpoint, new ConversionOptions { TargetDType = target, RequireLosslessCast = !options.AllowLossyCast });
            var tensors = plan.Tensors.Select(t => new CoreTensor(t.TargetName, [.. t.Shape], ToScalarType(t.OutputDType), t.OutputByteCount, t.CopyOutputBytesTo)).ToList();
            string layoutId = checkpoint.Layout.Id();
            var m = config.Model;
            var description = new CheckpointDescription(
                new AwdLstmArchitecture(m.VocabSize, m.EmbSize, m.HiddenSize, m.Layers, m.Bidirectional, m.PadToken),
                layoutId,
                layoutId.StartsWith("v0.7-", StringComparison.Ordinal) ? LayoutFamily.FastaiV07 :
                layoutId.StartsWith("v1-", StringComparison.Ordinal) ? LayoutFamily.FastaiV1 :
                layoutId.StartsWith("v2-", StringComparison.Ordinal) ? LayoutFamily.FastaiV2 : LayoutFamily.Canonical,
                config.HasDecoder, config.Tied, config.DecoderBias, [.. config.HeadSizes], config.HeadLinearBias,
                config.DType.ToString().ToLowerInvariant(), [.. plan.Decisions.Select(d => d.Details)]);
            return new CoreCheckpoint(checkpoint, description, tensors);
        }
        catch
        {
            checkpoint.Dispose();
            throw;
        }
    }

    /// <summary>The exception the core library uses for a checkpoint whose content does not fit the operation.</summary>
    public Exception Refuse(string reason, string? key = null) =>
        new CheckpointFormatException(CheckpointError.InvalidContent, reason, Path, key: key);

    /// <summary>Reads a pickled fastai vocabulary (a <c>list[str]</c>) with WeightPort's safe unpickler.</summary>
    /// <exception cref="CheckpointFormatException">Not a pickled list of strings.</exception>
    public static IReadOnlyList<string> ReadVocabulary(string path) => Vocabulary.Load(path).Itos;

    /// <summary>Every tensor of any checkpoint WeightPort reads, under its path, as contiguous little-endian bytes (no fastai interpretation).</summary>
    /// <exception cref="CheckpointFormatException">Unreadable.</exception>
    public static IReadOnlyList<(string Name, ScalarType DType, long[] Shape, byte[] Bytes)> ReadAllTensors(string path)
    {
        using var checkpoint = CheckpointReader.Open(path);
        return [.. checkpoint.Tensors.Select(t => (t.Path, ToScalarType(t.Tensor.DType), t.Tensor.Shape.ToArray(), t.Tensor.ToByteArray()))];
    }

    private static ScalarType ToScalarType(DType dtype) => dtype switch
    {
        DType.Float32 => ScalarType.Float32,
        DType.Float64 => ScalarType.Float64,
        DType.Float16 => ScalarType.Float16,
        DType.BFloat16 => ScalarType.BFloat16,
        DType.Int8 => ScalarType.Int8,
        DType.Int16 => ScalarType.Int16,
        DType.Int32 => ScalarType.Int32,
        DType.Int64 => ScalarType.Int64,
        DType.UInt8 => ScalarType.Byte,
        DType.Bool => ScalarType.Bool,
        DType.Complex64 => ScalarType.ComplexFloat32,
        DType.Complex128 => ScalarType.ComplexFloat64,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "no TorchSharp type for this dtype"),
    };

    /// <inheritdoc />
    public void Dispose() => _checkpoint.Dispose();
}
