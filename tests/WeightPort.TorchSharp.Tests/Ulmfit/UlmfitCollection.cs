namespace WeightPort.TorchSharp.Tests.Ulmfit;

/// <summary>Runs alone: torch's global random generator and thread count must not be shared with other tests while it trains.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class UlmfitCollection : ICollectionFixture<UlmfitFixture>
{
    public const string Name = "ULMFiT";
}
