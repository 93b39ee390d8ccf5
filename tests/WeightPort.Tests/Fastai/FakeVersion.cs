namespace WeightPort.Tests.Fastai;

/// <summary>fastai generation of a generated checkpoint.</summary>
public enum FakeVersion { V07, V1, V2 }
