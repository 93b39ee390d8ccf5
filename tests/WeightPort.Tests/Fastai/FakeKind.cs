namespace WeightPort.Tests.Fastai;

/// <summary>Model kind of a generated checkpoint.</summary>
public enum FakeKind { LanguageModel, Encoder, Classifier }
