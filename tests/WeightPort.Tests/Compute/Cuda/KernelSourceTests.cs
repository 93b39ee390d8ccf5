using System.Text.RegularExpressions;
using WeightPort.Compute.Cuda;
using Xunit;

namespace WeightPort.Tests.Compute.Cuda;

public sealed partial class KernelSourceTests
{
    [Fact]
    public void KernelsCu_IsEmbeddedWithEveryEntryPoint()
    {
        string source = KernelNames.LoadSource();

        foreach (string name in KernelNames.All)
            Assert.Matches(new Regex($@"extern ""C"" __global__ void {name}\("), source);
        Assert.Equal(KernelNames.All.Count, EntryPoint().Matches(source).Count);
    }

    [Fact]
    public void KernelsCu_NeedsNoHeadersAndNoFastMath()
    {
        string source = KernelNames.LoadSource();

        // NVRTC gets no include paths; fast math would change expf/tanhf away from PyTorch's.
        Assert.DoesNotMatch(new Regex(@"^\s*#\s*include", RegexOptions.Multiline), source);
        Assert.DoesNotContain("__expf", source, StringComparison.Ordinal);
        Assert.DoesNotContain("__tanhf", source, StringComparison.Ordinal);
        Assert.DoesNotContain("size_t", source, StringComparison.Ordinal);
    }

    [Fact]
    public void LstmGatesKernel_ParameterCount_MatchesLaunch()
    {
        // CudaDeviceOps passes 13 arguments to wp_lstm_gates; a mismatch would read garbage on the GPU.
        string source = KernelNames.LoadSource();
        Match signature = Regex.Match(source, @"wp_lstm_gates\((?<params>[^)]*)\)", RegexOptions.Singleline);
        string parameters = Regex.Replace(signature.Groups["params"].Value, @"//[^\n]*", "");

        Assert.Equal(13, parameters.Split(',').Length);
    }

    [GeneratedRegex(@"extern ""C"" __global__ void (\w+)\(")]
    private static partial Regex EntryPoint();
}
