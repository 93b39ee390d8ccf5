namespace WeightPort.TorchSharp.Modules;

/// <summary>
/// The five dropout probabilities of fastai's AWD-LSTM: <c>output_p</c> (decoder input, or the classifier head's
/// first block), <c>hidden_p</c> (between LSTM layers), <c>input_p</c> (after the embedding), <c>embed_p</c> (whole
/// words) and <c>weight_p</c> (the recurrent matrices).
/// </summary>
/// <param name="Output">output_p.</param>
/// <param name="Hidden">hidden_p.</param>
/// <param name="Input">input_p.</param>
/// <param name="Embedding">embed_p.</param>
/// <param name="Weight">weight_p.</param>
public sealed record AwdLstmDropouts(double Output, double Hidden, double Input, double Embedding, double Weight)
{
    /// <summary>fastai's <c>awd_lstm_lm_config</c>: output 0.1, hidden 0.15, input 0.25, embed 0.02, weight 0.2.</summary>
    public static AwdLstmDropouts LanguageModel { get; } = new(0.1, 0.15, 0.25, 0.02, 0.2);

    /// <summary>fastai's <c>awd_lstm_clas_config</c>: output 0.4, hidden 0.3, input 0.4, embed 0.05, weight 0.5.</summary>
    public static AwdLstmDropouts Classifier { get; } = new(0.4, 0.3, 0.4, 0.05, 0.5);

    /// <summary>No dropout anywhere.</summary>
    public static AwdLstmDropouts None { get; } = new(0, 0, 0, 0, 0);

    /// <summary>Every probability times <paramref name="dropMult"/>, as <c>language_model_learner(drop_mult=…)</c> does.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A scaled probability leaves [0, 1).</exception>
    public AwdLstmDropouts Scale(double dropMult)
    {
        var scaled = new AwdLstmDropouts(Output * dropMult, Hidden * dropMult, Input * dropMult, Embedding * dropMult, Weight * dropMult);
        scaled.Validate();
        return scaled;
    }

    /// <summary>Checks that every probability lies in [0, 1).</summary>
    /// <exception cref="ArgumentOutOfRangeException">One does not.</exception>
    public void Validate()
    {
        foreach (var (name, p) in new[] { ("output", Output), ("hidden", Hidden), ("input", Input), ("embedding", Embedding), ("weight", Weight) })
            if (p is < 0 or >= 1 || double.IsNaN(p)) throw new ArgumentOutOfRangeException(name, p, $"the {name} dropout must be in [0, 1)");
    }
}
