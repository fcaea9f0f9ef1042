#:project ../src/MLNetAttention.TorchSharp/MLNetAttention.TorchSharp.csproj
#:package Microsoft.ML.OnnxRuntime.Gpu
#:property PublishAot=false

// 03 · Matching: does the second line of a couplet answer the first? A cross-attention matcher aligns every character
// of one line with the other line, compares them and pools each line by attention; every prediction shows both lines'
// weights and the alignment (the pair view).
// Run from the repository root:
//     dotnet run notebooks/03-matching.cs
// It writes notebooks/output/03-matching/pairs.html and pair.svg. 03-matching.ipynb is the same as a notebook.
// Trained briefly on a tenth of the sample, it shows the API and the views; the demo's matcher, trained on the whole
// sample, is the accurate one.

using MLNetAttention.Data;
using MLNetAttention.Models;
using MLNetAttention.Text;
using MLNetAttention.Training;
using MLNetAttention.Training.Matching;
using MLNetAttention.Visualization;

string output = OutputDirectory("03-matching");

// The first 20,000 of the sample's 200,000 training pairs keep this quick; the demo trains on all of them.
var train = BundledSamples.ReadPairs("couplet-match.train").Take(20000).ToList();
var test = BundledSamples.ReadPairs("couplet-match.test").ToList();
Console.WriteLine($"{train.Count} training pairs, {test.Count} test pairs; e.g. {train[0].Text1} / {train[0].Text2} => {train[0].Label}");

var options = new AttentionMatcherOptions
{
    Tokenizer = new AttentionTokenizerOptions { MinFrequency = 1 },
    Model = new TextMatcherOptions
    {
        Kind = MatcherKind.Cross, Encoder = EncoderKind.None,
        EmbeddingDim = 32, CompareDim = 32, AttentionHiddenDim = 16, DenseDim = 32,
    },
    Training = new TrainingOptions { Epochs = 2, Threads = 1, Seed = 42 },
};
using var matcher = AttentionMatcher.Train(train, validation: null, options);
var metrics = matcher.Evaluate(test);
Console.WriteLine($"{matcher.Kind} matcher: test accuracy {metrics.Accuracy:0.000}, macro F1 {metrics.MacroF1:0.000}");

// One pair: the match probability and each line's token weights.
var match = matcher.Predict("海闊憑魚躍", "天高任鳥飛");
Console.WriteLine($"{match.Text1} / {match.Text2}: match {match.IsMatch} ({match.Probability:0.000})");
Console.WriteLine($"  line 1: {string.Join(" ", match.Tokens1.Select(t => $"{t.Token}{t.Weight:0.00}"))}");
Console.WriteLine($"  line 2: {string.Join(" ", match.Tokens2.Select(t => $"{t.Token}{t.Weight:0.00}"))}");
// The cross matcher also says where each character of line 1 looks in line 2: the alignment, one row per character.
var alignment = match.Alignment!;
for (int i = 0; i < match.Tokens1.Count; i++)
{
    int best = Enumerable.Range(0, match.Tokens2.Count).MaxBy(j => alignment[i, j]);
    Console.WriteLine($"  {match.Tokens1[i].Token} -> {match.Tokens2[best].Token} ({alignment[i, best]:0.00})");
}

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
