using WeightPort.Model;

namespace WeightPort.Fastai;

/// <summary>
/// What a conversion writes: the ordered output tensors under their canonical names, what is dropped and why, every
/// decision taken, and the configuration. Writers consume <see cref="Tensors"/>; model loading uses
/// <see cref="ToAwdLstmWeights"/>, so both go through the same validation.
/// </summary>
public sealed class ConversionPlan
{
    /// <summary>Creates a plan. <see cref="FastaiCheckpoint.CreatePlan(ConversionOptions?)"/> is the usual way.</summary>
    public ConversionPlan(string sourcePath, FastaiLayout layout, FastaiModelConfig? config, IReadOnlyList<PlannedTensor> tensors,
        IReadOnlyList<DroppedTensor> dropped, IReadOnlyList<ConversionDecision> decisions, ConversionOptions options)
    {
        SourcePath = sourcePath;
        Layout = layout;
        Config = config;
        Tensors = tensors;
        Dropped = dropped;
        Decisions = decisions;
        Options = options;
    }

    /// <summary>The checkpoint file.</summary>
    public string SourcePath { get; }
    /// <summary>The source layout.</summary>
    public FastaiLayout Layout { get; }
    /// <summary>The inferred configuration; null for <see cref="FastaiLayout.Passthrough"/>.</summary>
    public FastaiModelConfig? Config { get; }
    /// <summary>The output tensors, in the order to write them.</summary>
    public IReadOnlyList<PlannedTensor> Tensors { get; }
    /// <summary>The source tensors not written, with reasons.</summary>
    public IReadOnlyList<DroppedTensor> Dropped { get; }
    /// <summary>Every decision: layout, redundancy checks, tie, casts, vocabulary.</summary>
    public IReadOnlyList<ConversionDecision> Decisions { get; }
    /// <summary>The options the plan was made with.</summary>
    public ConversionOptions Options { get; }

    /// <summary>Looks an output tensor up by its target name.</summary>
    public PlannedTensor? Find(string targetName) => Tensors.FirstOrDefault(t => t.TargetName == targetName);

    /// <summary>
    /// The weights as float32 for the C# model (values as they would be written, casts included). A tied decoder is not
    /// duplicated: <see cref="AwdLstmWeights.DecoderWeight"/> is null and the model uses the embedding. Tensors that the
    /// file stores as aligned little-endian float32 are read in place from the memory-mapped file, not copied; they stay
    /// readable while the checkpoint is open (a compute engine's pins keep them mapped after that).
    /// </summary>
    /// <exception cref="CheckpointFormatException">The plan is a passthrough (not an AWD-LSTM).</exception>
    public AwdLstmWeights ToAwdLstmWeights()
    {
        var config = Config ?? throw new CheckpointFormatException(CheckpointError.InvalidContent,
            "the checkpoint was not recognised as a fastai AWD-LSTM (passthrough layout), so it cannot be loaded as one", SourcePath);
        var byRole = new Dictionary<(FastaiRole, int), PlannedTensor>();
        foreach (var t in Tensors) if (t.Role is { } r) byRole[(r, t.Index)] = t;
        ReadOnlyMemory<float> Get(FastaiRole role, int index = 0) => byRole[(role, index)].ToFloat32Memory();
        ReadOnlyMemory<float>? Maybe(FastaiRole role, int index = 0) =>
            byRole.TryGetValue((role, index), out var t) ? t.ToFloat32Memory() : (ReadOnlyMemory<float>?)null;

        var layers = new List<IReadOnlyList<LstmDirectionWeights>>();
        for (int l = 0; l < config.Model.Layers; l++)
        {
            var dirs = new List<LstmDirectionWeights>
            {
                new(Get(FastaiRole.WeightIh, l), Get(FastaiRole.WeightHh, l), Get(FastaiRole.BiasIh, l), Get(FastaiRole.BiasHh, l)),
            };
            if (config.Model.Bidirectional)
                dirs.Add(new(Get(FastaiRole.WeightIhReverse, l), Get(FastaiRole.WeightHhReverse, l), Get(FastaiRole.BiasIhReverse, l), Get(FastaiRole.BiasHhReverse, l)));
            layers.Add(dirs);
        }

        List<ClassifierBlockWeights>? head = null;
        if (config.IsClassifier)
        {
            head = [];
            for (int b = 0; b < config.HeadSizes.Count - 1; b++)
            {
                head.Add(new ClassifierBlockWeights(config.HeadSizes[b], config.HeadSizes[b + 1],
                    Get(FastaiRole.HeadBnWeight, b), Get(FastaiRole.HeadBnBias, b), Get(FastaiRole.HeadBnRunningMean, b), Get(FastaiRole.HeadBnRunningVar, b),
                    Get(FastaiRole.HeadLinearWeight, b), Maybe(FastaiRole.HeadLinearBias, b)));
            }
        }

        return new AwdLstmWeights(config.Model, Get(FastaiRole.Embedding), layers,
            config.HasDecoder && !config.Tied ? Get(FastaiRole.DecoderWeight) : (ReadOnlyMemory<float>?)null,
            config.DecoderBias ? Get(FastaiRole.DecoderBias) : (ReadOnlyMemory<float>?)null,
            config.HasDecoder, head);
    }
}
