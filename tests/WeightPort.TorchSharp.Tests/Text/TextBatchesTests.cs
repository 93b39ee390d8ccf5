using WeightPort.TorchSharp.Text;

namespace WeightPort.TorchSharp.Tests.Text;

public sealed class TextBatchesTests
{
    [Fact]
    public void PadChunks_SortsByLength_PadsWholeChunksFirstAndTheRestLast()
    {
        long[][] texts = [[5, 6], [7, 8, 9, 10, 11, 12, 13], [4]];
        var (tokens, order) = TextBatches.PadChunks(texts, padToken: 1, bptt: 3);
        Assert.Equal([1, 0, 2], order);
        Assert.Equal([3L, 7L], tokens.shape);
        var rows = Enumerable.Range(0, 3).Select(r => tokens[r].data<long>().ToArray()).ToList();
        Assert.Equal([7L, 8, 9, 10, 11, 12, 13], rows[0]);
        // 5 pads for [5, 6]: one chunk (3) in front, 2 at the end.
        Assert.Equal([1L, 1, 1, 5, 6, 1, 1], rows[1]);
        // 6 pads for [4]: two chunks in front, none at the end.
        Assert.Equal([1L, 1, 1, 1, 1, 1, 4], rows[2]);
    }

    [Fact]
    public void LanguageModel_RowsContinue_AndTargetsAreTheNextToken()
    {
        long[] stream = [.. Enumerable.Range(0, 21).Select(i => (long)i)];
        var batches = TextBatches.LanguageModel(stream, batchSize: 2, bptt: 4).ToList();
        Assert.Equal(3, batches.Count);
        Assert.Equal([0L, 1, 2, 3], batches[0].Input[0].data<long>().ToArray());
        Assert.Equal([10L, 11, 12, 13], batches[0].Input[1].data<long>().ToArray());
        Assert.Equal([4L, 5, 6, 7], batches[1].Input[0].data<long>().ToArray());
        Assert.Equal([8L, 9], batches[2].Input[0].data<long>().ToArray());
        Assert.Equal([19L, 20], batches[2].Target[1].data<long>().ToArray());
    }
}
