namespace Ulmfit;

/// <summary>What fine-tuning the language model did.</summary>
/// <param name="Before">Validation metrics of the pretrained model (after vocabulary matching).</param>
/// <param name="After">Validation metrics after fine-tuning.</param>
/// <param name="Steps">Optimizer steps taken.</param>
/// <param name="MatchedWords">Words of the new vocabulary found in the pretrained one.</param>
/// <param name="EncoderPath">The saved encoder (save_encoder).</param>
/// <param name="ModelPath">The saved language model (TorchSharp's Module.save).</param>
public sealed record LanguageModelResult(Metrics Before, Metrics After, int Steps, int MatchedWords, string EncoderPath, string ModelPath);
