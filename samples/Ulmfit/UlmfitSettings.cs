namespace Ulmfit;

/// <summary>The sample's hyper-parameters (fastai's text tutorial values where they apply, smaller for a tiny corpus).</summary>
public sealed record UlmfitSettings
{
    /// <summary>The pretrained language model (the bundled WT103-shaped mini model by default).</summary>
    public required string Pretrained { get; init; }
    /// <summary>Its vocabulary (itos pickle).</summary>
    public required string PretrainedVocabulary { get; init; }
    /// <summary>Where the fine-tuned encoder and language model are written.</summary>
    public required string OutputFolder { get; init; }
    /// <summary>Seed of every random draw (initialisation, dropout masks, shuffling).</summary>
    public int Seed { get; init; } = 42;
    /// <summary>Language-model batch size.</summary>
    public int LmBatchSize { get; init; } = 64;
    /// <summary>Language-model BPTT window.</summary>
    public int LmBptt { get; init; } = 24;
    /// <summary>Epochs with only the embedding and decoder trained.</summary>
    public int LmFrozenEpochs { get; init; } = 1;
    /// <summary>Peak learning rate of the frozen stage.</summary>
    public double LmFrozenLearningRate { get; init; } = 2e-2;
    /// <summary>Epochs with everything trained.</summary>
    public int LmEpochs { get; init; } = 10;
    /// <summary>Peak learning rate of the unfrozen stage.</summary>
    public double LmLearningRate { get; init; } = 1e-2;
    /// <summary>drop_mult of the language model (fastai's tutorial: 0.3).</summary>
    public double LmDropMult { get; init; } = 0.3;
    /// <summary>Training texts for the classifier (drawn from the training numbers).</summary>
    public int ClassifierTrainItems { get; init; } = 8000;
    /// <summary>Classifier batch size.</summary>
    public int ClassifierBatchSize { get; init; } = 64;
    /// <summary>Peak learning rate of the classifier's first three stages (the last group's, in the discriminative ones).</summary>
    public double ClassifierLearningRate { get; init; } = 2e-2;
    /// <summary>drop_mult of the classifier (fastai's tutorial: 0.5).</summary>
    public double ClassifierDropMult { get; init; } = 0.5;
    /// <summary>Peak learning rate of the last group once everything is unfrozen (the first group gets it / 2.6⁴).</summary>
    public double ClassifierUnfrozenLearningRate { get; init; } = 0.1;
    /// <summary>Epochs once everything is unfrozen.</summary>
    public int ClassifierUnfrozenEpochs { get; init; } = 3;
    /// <summary>Epochs of the first stage (only the head trains).</summary>
    public int ClassifierHeadEpochs { get; init; } = 2;
}
