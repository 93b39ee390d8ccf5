using WeightPort.TorchSharp.Modules;
using WeightPort.TorchSharp.Training;
using static TorchSharp.torch;

namespace WeightPort.TorchSharp.Tests.Modules;

/// <summary>
/// TorchSharp 0.107 frees a Scalar from its finalizer, and it lets one it made from a number become unreachable while
/// libtorch still reads it: a garbage collection at that moment frees it mid-call. The library passes only scalars it
/// holds (Modules/Scalars). Here a second thread collects and runs finalizers without pause while the model trains
/// and classifies, which turns any scalar left to TorchSharp into a use-after-free within a few hundred steps.
/// </summary>
[Trait("Category", "Slow")]
public sealed class ScalarLifetimeTests
{
    [Fact]
    public void TrainAndClassify_WhileTheGarbageCollectorRunsFinalizers_NeverUsesAFreedScalar()
    {
        random.manual_seed(11);
        var arch = new AwdLstmArchitecture(40, 8, 12, 2);
        using var lm = new AwdLstmLanguageModel(arch);
        using var classifier = new AwdLstmTextClassifier(arch, ClassifierHead.Default(classes: 3));
        using var optimizer = new UlmfitAdamW(lm.ParameterGroups());
        bool stop = false;
        var collector = new Thread(() =>
        {
            while (!Volatile.Read(ref stop))
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
            }
        });
        collector.Start();
        try
        {
            for (int step = 0; step < 150; step++)
            {
                using var scope = NewDisposeScope();
                lm.train();
                var x = randint(2, 40, [4, 12]);
                var loss = nn.functional.cross_entropy(lm.forward(x).view(-1, 40), randint(0, 40, [48]));
                optimizer.ZeroGrad();
                loss.backward();
                optimizer.Step();
                classifier.eval();
                using var _ = no_grad();
                var tokens = randint(2, 40, [3, 9]);
                tokens[0, ..3] = ones(3, dtype: ScalarType.Int64);   // padding at the front of a shorter row
                Assert.Equal([3, 3], classifier.forward(tokens).shape);
            }
        }
        finally
        {
            Volatile.Write(ref stop, true);
            collector.Join();
        }
    }
}
