using System.Diagnostics;
using Ulmfit;

// ULMFiT in .NET: fine-tune the bundled WT103-shaped mini language model on fastbook's human numbers, save its
// encoder, then train an even/odd classifier on it with gradual unfreezing. Run from the repository root:
//   python3 tools/make_human_numbers.py artifacts/human_numbers
//   dotnet run --project samples/Ulmfit -c Release -- artifacts/human_numbers
string data = args.Length > 0 ? args[0] : "artifacts/human_numbers";
var settings = new UlmfitSettings
{
    Pretrained = args.Length > 1 ? args[1] : "fixtures/wt103_mini_fwd.pth",
    PretrainedVocabulary = args.Length > 2 ? args[2] : "fixtures/wt103_mini_itos.pkl",
    OutputFolder = args.Length > 3 ? args[3] : "artifacts/ulmfit",
};
// A model this small spends its time in per-op overhead: OpenMP's fan-out over cores costs more than it brings.
TorchSharp.torch.set_num_threads(1);
var corpus = HumanNumbers.Load(data);
Console.WriteLine($"corpus: {corpus.Train.Count:N0} training and {corpus.Valid.Count:N0} validation numbers, vocabulary of {corpus.Vocabulary.Count} tokens");
var clock = Stopwatch.StartNew();
var lm = UlmfitRecipe.FineTuneLanguageModel(corpus, settings, Console.WriteLine);
Console.WriteLine($"  {lm.MatchedWords} of {corpus.Vocabulary.Count} words kept their pretrained rows; encoder saved to {lm.EncoderPath}, language model to {lm.ModelPath} ({clock.Elapsed.TotalSeconds:F1} s)");
clock.Restart();
var classifier = UlmfitRecipe.TrainClassifier(corpus, lm.EncoderPath, settings, Console.WriteLine);
Console.WriteLine($"classifier after gradual unfreezing ({classifier.Steps} steps): {classifier.After} ({clock.Elapsed.TotalSeconds:F1} s)");
Console.WriteLine($"back to fastai: dotnet run --project src/WeightPort.Cli -c Release -- convert {lm.ModelPath} --format pth -o {Path.ChangeExtension(lm.ModelPath, ".clean.pth")} --force");
