namespace WeightPort.Peers;

/// <summary>
/// One engine under test: an AWD-LSTM language model at the WT103 shape, stateful like fastai's (the hidden state
/// carries over from one call to the next until <see cref="Reset"/>), with the logits materialised on every call.
/// </summary>
internal interface IPeer : IDisposable
{
    /// <summary>Short name used in the result lines: weightport, onnxruntime, torchsharp.</summary>
    string Name { get; }

    /// <summary>Versions and settings, printed once per process.</summary>
    string Description { get; }

    /// <summary>Reads the model file and makes the engine ready to run (the timed "load").</summary>
    void Load();

    /// <summary>Runs a [batch, seq] block and drops the outputs the way the engine's API expects.</summary>
    void Forward(long[] tokens, int batch, int seq);

    /// <summary>Runs a [batch, seq] block and returns a copy of its logits [batch, seq, vocab].</summary>
    float[] Logits(long[] tokens, int batch, int seq);

    /// <summary>Zeroes the hidden state.</summary>
    void Reset();
}
