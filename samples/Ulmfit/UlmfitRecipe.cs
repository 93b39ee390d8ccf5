using WeightPort.TorchSharp.Loading;
using WeightPort.TorchSharp.Modules;
using WeightPort.TorchSharp.Text;
using WeightPort.TorchSharp.Training;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Ulmfit;

/// <summary>
/// ULMFiT as fastai's text tutorial runs it: fine-tune the pretrained language model (one cycle frozen, then
/// unfrozen), save its encoder, then train a classifier on that encoder with gradual unfreezing and discriminative
/// learning rates.
/// </summary>
public static class UlmfitRecipe
{
    /// <summary>Stage 1: fine-tunes the pretrained language model on the corpus and saves its encoder.</summary>
    public static LanguageModelResult FineTuneLanguageModel(HumanNumbers data, UlmfitSettings s, Action<string>? log = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(s);
        random.manual_seed(s.Seed);
        Directory.CreateDirectory(s.OutputFolder);
        var match = new VocabularyMatch(FastaiVocabulary.Read(s.PretrainedVocabulary), data.Vocabulary);
        using var lm = AwdLstmLanguageModel.FromPretrained(s.Pretrained, new PretrainedOptions
        {
            Vocabulary = match,
            Dropouts = AwdLstmDropouts.LanguageModel.Scale(s.LmDropMult),
        });
        long[] train = data.Stream(data.Train), valid = data.Stream(data.Valid);
        var before = Evaluate(lm, valid, s.LmBatchSize, s.LmBptt);
        log?.Invoke($"language model before fine-tuning: {before}");

        var groups = lm.ParameterGroups();
        using var optimizer = new UlmfitAdamW(groups);
        int steps = 0;
        groups.Freeze();
        steps += FitOneCycle(lm, optimizer, [.. Enumerable.Repeat(s.LmFrozenLearningRate, groups.Count)], train, s, s.LmFrozenEpochs);
        log?.Invoke($"  frozen ({s.LmFrozenEpochs} epoch): {Evaluate(lm, valid, s.LmBatchSize, s.LmBptt)}");
        groups.Unfreeze();
        steps += FitOneCycle(lm, optimizer, [.. Enumerable.Repeat(s.LmLearningRate, groups.Count)], train, s, s.LmEpochs);
        var after = Evaluate(lm, valid, s.LmBatchSize, s.LmBptt);
        log?.Invoke($"language model after fine-tuning ({steps} steps): {after}");

        string encoder = Path.Combine(s.OutputFolder, "encoder.dat");
        string model = Path.Combine(s.OutputFolder, "lm.dat");
        lm.SaveEncoder(encoder);
        lm.save(model);
        return new LanguageModelResult(before, after, steps, match.MatchedCount, encoder, model);
    }

    /// <summary>Stage 2: a classifier on the saved encoder (is the number even?), trained with gradual unfreezing.</summary>
    public static ClassifierResult TrainClassifier(HumanNumbers data, string encoderPath, UlmfitSettings s, Action<string>? log = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(s);
        random.manual_seed(s.Seed);
        var rng = new Random(s.Seed);
        var trainItems = data.Train.Select((line, i) => (Tokens: data.Text(line), Label: (long)((i + 1) % 2 == 0 ? 1 : 0)))
            .OrderBy(_ => rng.Next()).Take(s.ClassifierTrainItems).ToList();
        var validItems = data.Valid.Select((line, i) => (Tokens: data.Text(line), Label: (long)((data.FirstValidNumber + i) % 2 == 0 ? 1 : 0))).ToList();

        using var classifier = AwdLstmTextClassifier.FromEncoder(encoderPath, ClassifierHead.Default(2), new PretrainedOptions
        {
            Dropouts = AwdLstmDropouts.Classifier.Scale(s.ClassifierDropMult),
        });
        var before = EvaluateClassifier(classifier, validItems, s.ClassifierBatchSize);
        log?.Invoke($"classifier before training: {before}");

        var groups = classifier.ParameterGroups();
        using var optimizer = new UlmfitAdamW(groups);
        double lr = s.ClassifierLearningRate;
        var stages = new List<(string, Metrics)>();
        int steps = 0;
        // Gradual unfreezing as in fastai's text tutorial (freeze, freeze_to(-2), freeze_to(-3), unfreeze), each stage a
        // one-cycle with ULMFiT's discriminative rates slice(top/2.6⁴, top). The last stage's peak is higher than the
        // tutorial's lr/20: in the few hundred steps of this tiny run the embedding (which decides parity) must move.
        var plan = new (string Name, int FreezeTo, double Lr, int Epochs)[]
        {
            ("last group", -1, lr, s.ClassifierHeadEpochs),
            ("freeze_to(-2)", -2, lr, 1),
            ("freeze_to(-3)", -3, lr, 1),
            ("unfrozen", 0, s.ClassifierUnfrozenLearningRate, s.ClassifierUnfrozenEpochs),
        };
        foreach (var (name, cut, top, epochs) in plan)
        {
            groups.FreezeTo(cut);
            double[] rates = cut == -1 ? [.. Enumerable.Repeat(top, groups.Count)] : groups.Slice(top / Math.Pow(2.6, 4), top);
            steps += FitClassifier(classifier, optimizer, rates, trainItems, s, epochs, rng);
            var m = EvaluateClassifier(classifier, validItems, s.ClassifierBatchSize);
            stages.Add((name, m));
            log?.Invoke($"  {name} ({epochs} epoch{(epochs == 1 ? "" : "s")}): {m}");
        }
        return new ClassifierResult(before, stages, steps);
    }

    /// <summary>Validation loss and next-token accuracy over a token stream, in eval mode from a reset state.</summary>
    public static Metrics Evaluate(AwdLstmLanguageModel lm, long[] stream, int batchSize, int bptt)
    {
        ArgumentNullException.ThrowIfNull(lm);
        lm.eval();
        lm.ResetState();
        using var _ = no_grad();
        double loss = 0, correct = 0, count = 0;
        foreach (var (x, y) in TextBatches.LanguageModel(stream, batchSize, bptt))
        {
            using var scope = NewDisposeScope();
            var logits = lm.forward(x).view(-1, lm.Architecture.VocabSize);
            var target = y.view(-1);
            loss += F.cross_entropy(logits, target, reduction: nn.Reduction.Sum).item<float>();
            correct += logits.argmax(1).eq(target).sum().item<long>();
            count += target.numel();
        }
        lm.ResetState();
        return new Metrics(loss / count, correct / count);
    }

    private static int FitOneCycle(AwdLstmLanguageModel lm, UlmfitAdamW optimizer, double[] peak, long[] stream, UlmfitSettings s, int epochs)
    {
        int perEpoch = TextBatches.LanguageModel(stream, s.LmBatchSize, s.LmBptt).Count();
        var schedule = new OneCycleSchedule(perEpoch * epochs, maxMomentum: 0.8, minMomentum: 0.7);
        int step = 0;
        for (int e = 0; e < epochs; e++)
        {
            lm.train();
            lm.ResetState();
            foreach (var (x, y) in TextBatches.LanguageModel(stream, s.LmBatchSize, s.LmBptt))
            {
                using var scope = NewDisposeScope();
                Apply(optimizer, schedule, peak, step++);
                optimizer.ZeroGrad();
                var logits = lm.forward(x);
                var loss = F.cross_entropy(logits.view(-1, lm.Architecture.VocabSize), y.view(-1));
                loss.backward();
                optimizer.Step();
            }
        }
        lm.ResetState();
        return step;
    }

    private static int FitClassifier(AwdLstmTextClassifier model, UlmfitAdamW optimizer, double[] peak, List<(long[] Tokens, long Label)> items,
        UlmfitSettings s, int epochs, Random rng)
    {
        int perEpoch = (items.Count + s.ClassifierBatchSize - 1) / s.ClassifierBatchSize;
        var schedule = new OneCycleSchedule(perEpoch * epochs, maxMomentum: 0.8, minMomentum: 0.7);
        int step = 0;
        for (int e = 0; e < epochs; e++)
        {
            model.train();
            var shuffled = items.OrderBy(_ => rng.Next()).ToList();
            for (int b = 0; b < shuffled.Count; b += s.ClassifierBatchSize)
            {
                using var scope = NewDisposeScope();
                var (x, y) = Batch(shuffled, b, s.ClassifierBatchSize, model.Head.Bptt);
                Apply(optimizer, schedule, peak, step++);
                optimizer.ZeroGrad();
                var loss = F.cross_entropy(model.forward(x), y);
                loss.backward();
                optimizer.Step();
            }
        }
        return step;
    }

    /// <summary>Validation loss and accuracy of the classifier, in eval mode.</summary>
    public static Metrics EvaluateClassifier(AwdLstmTextClassifier model, IReadOnlyList<(long[] Tokens, long Label)> items, int batchSize)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(items);
        model.eval();
        using var _ = no_grad();
        double loss = 0, correct = 0;
        for (int b = 0; b < items.Count; b += batchSize)
        {
            using var scope = NewDisposeScope();
            var (x, y) = Batch(items, b, batchSize, model.Head.Bptt);
            var logits = model.forward(x);
            loss += F.cross_entropy(logits, y, reduction: nn.Reduction.Sum).item<float>();
            correct += logits.argmax(1).eq(y).sum().item<long>();
        }
        return new Metrics(loss / items.Count, correct / items.Count);
    }

    private static (Tensor X, Tensor Y) Batch(IReadOnlyList<(long[] Tokens, long Label)> items, int start, int size, int bptt)
    {
        var slice = items.Skip(start).Take(size).ToList();
        var (tokens, order) = TextBatches.PadChunks([.. slice.Select(i => i.Tokens)], padToken: 1, bptt);
        return (tokens, tensor(order.Select(i => slice[i].Label).ToArray()));
    }

    private static void Apply(UlmfitAdamW optimizer, OneCycleSchedule schedule, double[] peak, int step)
    {
        double f = schedule.LearningRateFactor(step);
        optimizer.SetLearningRates([.. peak.Select(p => p * f)]);
        optimizer.Beta1 = schedule.Momentum(step);
    }
}
