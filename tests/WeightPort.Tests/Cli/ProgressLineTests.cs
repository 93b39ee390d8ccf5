using WeightPort.Cli.Rendering;
using Xunit;

namespace WeightPort.Tests.Cli;

public sealed class ProgressLineTests
{
    [Fact]
    public void Report_CompletionReportedTwice_DrawsAndEndsTheLineOnce()
    {
        var o = new StringWriter();
        var line = new ProgressLine(o, "writing");
        line.Report((50, 100));
        line.Report((100, 100));
        line.Report((100, 100));
        line.Finish();
        string text = o.ToString();
        Assert.Equal(1, text.Split("100.0%").Length - 1);
        Assert.Equal(1, text.Count(c => c == '\n'));
        Assert.EndsWith("\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Finish_BeforeCompletion_ErasesTheLine()
    {
        var o = new StringWriter();
        var line = new ProgressLine(o, "writing");
        line.Report((10, 100));
        line.Finish();
        line.Report((100, 100));
        Assert.EndsWith("\r\u001b[K", o.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("100.0%", o.ToString());
    }

    [Fact]
    public void Finish_WithNothingDrawn_WritesNothing()
    {
        var o = new StringWriter();
        new ProgressLine(o, "writing").Finish();
        Assert.Equal("", o.ToString());
    }
}
