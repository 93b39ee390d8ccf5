using WeightPort.Tensors;
using Xunit;

namespace WeightPort.Tests.Tensors;

public sealed class TensorComparisonOutputTests
{
    [Fact]
    public void Compare_DifferenceWithinRelativeSlackOnly_PassesAndFailsWithoutIt()
    {
        // |d| = 5e-4 exceeds atol = 1e-4 but not atol + rtol·|b| = 1e-4 + 1e-4·10 = 1.1e-3.
        float[] expected = [10f, -10f];
        float[] actual = [10.0005f, -10.0005f];
        var withRtol = new Tolerance { Absolute = 1e-4, Relative = 1e-4 };

        var passed = TensorComparison.Compare("logits", actual, expected, withRtol);
        var failed = TensorComparison.Compare("logits", actual, expected, withRtol with { Relative = 0 });

        Assert.True(passed.MaxAbsError > withRtol.Absolute, $"the difference {passed.MaxAbsError} must exceed atol for the test to mean anything");
        Assert.True(passed.Passed, $"{passed}");
        Assert.Equal(0, passed.Violations);
        Assert.False(failed.Passed);
        Assert.Equal(2, failed.Violations);
    }

    [Theory]
    [InlineData(-1e-4, 1e-4, 0.99, 1.0)]
    [InlineData(1e-4, -1e-4, 0.99, 1.0)]
    [InlineData(1e-4, 1e-4, 1.5, 1.0)]
    [InlineData(1e-4, 1e-4, 0.99, 5.0)]
    [InlineData(1e-4, 1e-4, 0.99, -0.1)]
    [InlineData(double.NaN, 1e-4, 0.99, 1.0)]
    public void Tolerance_OutOfRange_Throws(double atol, double rtol, double cosine, double top1) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new Tolerance { Absolute = atol, Relative = rtol, MinCosine = cosine, MinTop1Agreement = top1 });

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
