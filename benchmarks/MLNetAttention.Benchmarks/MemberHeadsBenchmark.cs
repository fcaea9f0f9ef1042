using System.CommandLine;
using System.Globalization;
using MLNetAttention.Faithfulness;
using MLNetAttention.Training;

namespace MLNetAttention.Benchmarks;

/// <summary>
/// Which network's heads carry the evidence in a model with a companion: splits a saved model into its two networks,
/// scores each alone on the test split, and prints each one's accuracy and erasure ratios (mean weights and per head)
/// next to the whole model's. The model reports head h as both networks' head h averaged, so a head of the whole model
/// whose top tokens are weak evidence can come from either network.
/// </summary>
internal static class MemberHeadsBenchmark
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Required = true, Description = "A saved classifier directory whose network has a companion (train --preset ngram on characters)." };
        var dataset = new Option<string>("--dataset") { Required = true, Description = "poetry-dynasty, imdb, spam, or sample:NAME: its test split is scored." };
        var examples = new Option<int>("--max-examples") { DefaultValueFactory = _ => 1000, Description = "Test texts scored (the first ones)." };
        var command = new Command("member-heads", "Per-head erasure ratios of each network of a two-network model, scored alone, next to the whole model's.")
        {
            model, dataset, examples,
        };
        command.SetAction(parse =>
        {
            using var classifier = AttentionClassifier.Load(parse.GetValue(model)!);
            if (classifier.Network.Members == 1)
            {
                Console.Error.WriteLine("error: the model has one network; member-heads needs a model with a companion (train --preset ngram on characters).");
                return 1;
            }
            var (_, test) = DatasetLoader.Load(parse.GetValue(dataset)!);
            var options = new FaithfulnessOptions { MaxExamples = parse.GetValue(examples), ImportanceExamples = 0, UniformBaseline = false, EachNetwork = true };
            var report = FaithfulnessEvaluator.Evaluate(classifier, test, options);
            Print("whole model", report);
            foreach (var (name, alone) in report.Networks) Print(name, alone);
            return 0;
        });
        return command;
    }

    // One line per network: accuracy, the mean weights' ratio at each k, then each head's.
    private static void Print(string name, FaithfulnessReport report)
    {
        static string Ratios(IEnumerable<double?> ratios) => string.Join(" ", ratios.Select(r => r is { } v ? v.ToString("0.00", CultureInfo.InvariantCulture) : "n/a"));
        string heads = string.Join("  ", report.HeadErasures.GroupBy(e => e.Head).Select(g => $"head {g.Key + 1}: {Ratios(g.Select(e => e.Ratio))}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{name,-14} accuracy {report.Accuracy:0.0000}  top-k / random at k = {string.Join(", ", report.Verdicts.Select(v => $"{v.KFraction:P0}"))}: mean weights {Ratios(report.Verdicts.Select(v => v.Ratio))}  {heads}"));
    }
}
