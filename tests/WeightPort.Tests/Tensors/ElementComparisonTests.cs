using WeightPort.Tensors;
using Xunit;

namespace WeightPort.Tests.Tensors;

public sealed class ElementComparisonTests
{
    public static TheoryData<float[]> IdenticalChunks => new()
    {
        { new[] { 0.5f, -2f, 3.25f, 0f, -0f } },
        { new[] { float.NaN, 1f, float.PositiveInfinity } },
        { new[] { 0f, 0f } },
        { Array.Empty<float>() },
    };

    [Theory]
    [MemberData(nameof(IdenticalChunks))]
    public void AddIdentical_CountsLikeElementByElementAndRefusesTheCosine(float[] values)
    {
        var bulk = new ElementComparison(Tolerance.Exact);
        var single = new ElementComparison(Tolerance.Exact);
        bulk.Add([1f, 2f], [1f, 2.5f]);
        single.Add([1f, 2f], [1f, 2.5f]);
        bulk.AddIdentical(values.Length);
        single.Add(values, values);

        Assert.Equal(single.Elements, bulk.Elements);
        Assert.Equal(single.Differing, bulk.Differing);
        Assert.Equal(single.Violations, bulk.Violations);
        Assert.Equal(single.MaxAbs, bulk.MaxAbs);
        Assert.Equal(single.WorstIndex, bulk.WorstIndex);
        Assert.Equal(single.ElementsPass, bulk.ElementsPass);
        Assert.Throws<InvalidOperationException>(() => bulk.Cosine);
    }
}
