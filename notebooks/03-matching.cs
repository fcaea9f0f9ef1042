#:project ../src/MLNetAttention/MLNetAttention.csproj
#:property PublishAot=false

// 03 · Matching: does the second line of a couplet answer the first? A siamese matcher pools both lines with one
// shared encoder and attention layer; every prediction shows both lines' weights (the pair view).
// Run from the repository root:
//     dotnet run notebooks/03-matching.cs
// It writes notebooks/output/03-matching/pairs.html and pair.svg. 03-matching.ipynb is the same as a notebook.
// The 2,000-pair sample is too small to beat chance (README, "Text matching"): this shows the API and the
// views, not a good matcher.

using MLNetAttention.Data;
using MLNetAttention.Models;
using MLNetAttention.Text;
using MLNetAttention.Training;
using MLNetAttention.Training.Matching;
using MLNetAttention.Visualization;

string output = OutputDirectory("03-matching");

var train = BundledSamples.ReadPairs("couplet-match.train").ToList();
var test = BundledSamples.ReadPairs("couplet-match.test").ToList();
Console.WriteLine($"{train.Count} training pairs, {test.Count} test pairs; e.g. {train[0].Text1} / {train[0].Text2} => {train[0].Label}");

var options = new AttentionMatcherOptions
{
    Tokenizer = new AttentionTokenizerOptions { MinFrequency = 1 },
    Model = new TextMatcherOptions
    {
        Kind = MatcherKind.Siamese, Encoder = EncoderKind.ResConv,
        EmbeddingDim = 32, EncoderDim = 32, AttentionHiddenDim = 16, DenseDim = 32,
    },
    Training = new TrainingOptions { Epochs = 3, Threads = 1, Seed = 42 },
};
using var matcher = AttentionMatcher.Train(train, validation: null, options);
var metrics = matcher.Evaluate(test);
Console.WriteLine($"{matcher.Kind} matcher: test accuracy {metrics.Accuracy:0.000}, macro F1 {metrics.MacroF1:0.000}");

// One pair: the match probability and each line's token weights.
var match = matcher.Predict("海闊憑魚躍", "天高任鳥飛");
Console.WriteLine($"{match.Text1} / {match.Text2}: match {match.IsMatch} ({match.Probability:0.000})");
Console.WriteLine($"  line 1: {string.Join(" ", match.Tokens1.Select(t => $"{t.Token}{t.Weight:0.00}"))}");
Console.WriteLine($"  line 2: {string.Join(" ", match.Tokens2.Select(t => $"{t.Token}{t.Weight:0.00}"))}");

// The pair view: both lines coloured by their weights, with the pair's gold and predicted labels.
var examples = test.Take(8).ToList();
var pairs = matcher.Predict(examples.Select(e => (e.Text1, e.Text2)))
    .Zip(examples, (p, e) => WeightedPair.FromPrediction(p, e.Label)).ToList();
HtmlReport.Write(Path.Combine(output, "pairs.html"), Array.Empty<WeightedText>(), pairs,
    new HtmlReportOptions { Title = "Couplet matching", Description = "Does the second line answer the first?" });
SvgFigure.Write(Path.Combine(output, "pair.svg"), WeightedPair.FromPrediction(match, trueLabel: "1"));
Console.WriteLine($"wrote {Path.Combine(output, "pairs.html")} and pair.svg");
static string OutputDirectory(string name)
{
    string root = AppContext.GetData("EntryPointFileDirectoryPath") as string ?? Directory.GetCurrentDirectory();
    string directory = Path.Combine(root, "output", name);
    Directory.CreateDirectory(directory);
    return directory;
}
