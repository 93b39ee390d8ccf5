namespace WeightPort.Fastai;

/// <summary>The outcome of a <see cref="ConversionDecision"/>.</summary>
public enum DecisionVerdict
{
    /// <summary>Recorded for information (the layout, a check that passed).</summary>
    Accepted,
    /// <summary>Dropped: it is the same storage view as the tensor kept.</summary>
    DroppedSameView,
    /// <summary>Dropped: its values are bitwise equal to the tensor kept.</summary>
    DroppedEqual,
    /// <summary>Dropped: it is the kept recurrent matrix with a dropout mask applied (p reported).</summary>
    DroppedMasked,
    /// <summary>Dropped: not model weights (optimizer state).</summary>
    DroppedNotModel,
    /// <summary>Values differ but an override kept one copy: a warning.</summary>
    KeptByOverride,
    /// <summary>The decoder is tied to the embedding and stored once.</summary>
    Tied,
    /// <summary>The decoder has its own values and is kept as its own tensor.</summary>
    Untied,
    /// <summary>A cast that keeps every value.</summary>
    Lossless,
    /// <summary>A cast that changes values: a warning.</summary>
    Lossy,
    /// <summary>The check failed; conversion is refused.</summary>
    Refused,
}
