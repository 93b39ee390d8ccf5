using WeightPort.Tensors;
using Xunit;

namespace WeightPort.Tests.Tensors;

public sealed class OutputComparerTests
{
    [Fact]
    public void Compare_Identical_PassesWithZeroError()
    {
        float[] a = [1f, -2f, 3f, 0.5f];
        var r = TensorComparison.Compare("x", a, a, Tolerance.Default, rowLength: 2);
        Assert.True(r.Passed);
        Assert.Equal(0, r.MaxAbsError);
        Assert.Equal(1.0, r.Cosine, 12);
        Assert.Equal(1.0, r.Top1Agreement);
    }

    [Fact]
    public void Compare_OneElementOff_FailsAndLocatesIt()
    {
        float[] expected = [1f, 2f, 3f, 4f, 5f, 6f];
        float[] actual = [1f, 2f, 3f, 4.01f, 5f, 6f];
        var r = TensorComparison.Compare("logits", actual, expected, Tolerance.Default);
        Assert.False(r.Passed);
        Assert.Equal(1, r.Violations);
        Assert.Equal(3, r.WorstIndex);
        Assert.Equal(0.01, r.MaxAbsError, 5);
        Assert.Equal(0.0025, r.MaxRelError, 5);
    }

    [Fact]
    public void Compare_ArgMaxFlips_FailsTop1EvenWhenCloseInValue()
    {
        float[] expected = [1.00000f, 1.00001f];
        float[] actual = [1.00001f, 1.00000f];
        var r = TensorComparison.Compare("logits", actual, expected, Tolerance.Default, rowLength: 2);
        Assert.Equal(0, r.Violations);
        Assert.Equal(0.0, r.Top1Agreement);
        Assert.False(r.Passed);
    }

    [Fact]
    public void Compare_NaNAgainstNumber_Fails()
    {
        var r = TensorComparison.Compare("x", [float.NaN, 1f], [0f, 1f], Tolerance.Default);
        Assert.False(r.Passed);
    }

    [Fact]
    public void Compare_LengthMismatch_Throws()
    {
        Assert.Throws<ArgumentException>(() => TensorComparison.Compare("x", [1f], [1f, 2f], Tolerance.Default));
    }
}
