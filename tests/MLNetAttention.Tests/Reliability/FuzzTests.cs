using CsCheck;
using MLNetAttention.Data;
using MLNetAttention.Models;
using MLNetAttention.Onnx;
using MLNetAttention.Tests.Onnx;
using MLNetAttention.Text;
using MLNetAttention.Training;

namespace MLNetAttention.Tests.Reliability;

/// <summary>
/// Property-based fuzzing with CsCheck, seeded so CI is deterministic: odd text, damaged data files and damaged model
/// files give the documented results or errors, never a crash, a hang, another exception type or a NaN. The case counts
/// are small for CI; scripts/fuzz.sh runs the same properties at scale (MLNA_FUZZ_ITERATIONS).
/// </summary>
[TestClass]
public sealed class FuzzTests
{
    private static readonly long Iterations = long.TryParse(Environment.GetEnvironmentVariable("MLNA_FUZZ_ITERATIONS"), out long n) ? n : 0;

    // Model loading and scoring cost milliseconds per case, so long runs give them a hundredth of the text cases.
    private static long Scaled(long ciDefault, int divisor = 1) => Iterations > 0 ? Math.Max(1, Iterations / divisor) : ciDefault;

    private static (int, IGen<string>) W(int weight, Gen<string> gen) => (weight, gen);

    private static readonly string Seed = new PCG(20261203, 17).ToString();

    // Any UTF-16 code unit (lone surrogates included), CJK, combining marks, ZWJ emoji sequences, whitespace and controls.
    private static readonly Gen<string> OddText = Gen.Frequency(
            W(3, Gen.Int[0, 0xFFFF].Select(i => ((char)i).ToString())),
            W(3, Gen.Int[0x4E00, 0x9FFF].Select(i => ((char)i).ToString())),
            W(1, Gen.Int[0x0300, 0x036F].Select(i => ((char)i).ToString())),
            W(1, Gen.OneOf<string>("\u200D", "👨‍👩‍👧", "🇨🇳", "\uFE0F", "\uD83D", "\uDE00")),
            W(1, Gen.OneOf<string>(" ", "\t", "\r\n", "\n", "\0", "\u3000", "\u00A0")))
        .Array[0, 300].Select(parts => string.Concat(parts));

    [TestMethod]
    public void TheTokenizerMapsAnyTextToValidIdsAndSpans()
    {
        foreach (var mode in new[] { TokenizationMode.Char, TokenizationMode.Mixed })
        {
            var tokenizer = OnnxTestModels.Tokenizer(mode);
            OddText.Sample(text =>
            {
                foreach (var window in tokenizer.EncodeWindows(text, 32, 16))
                {
                    Assert.HasCount(window.Ids.Length, window.Offsets);
                    foreach (int id in window.Ids) Assert.IsTrue(id >= 1 && id < tokenizer.VocabularySize, $"id {id}");
                    foreach (var range in window.Offsets)
                    {
                        var (offset, length) = range.GetOffsetAndLength(text.Length);
                        Assert.IsTrue(offset >= 0 && length > 0 && offset + length <= text.Length);
                    }
                }
            }, seed: Seed, iter: Scaled(3_000), threads: 1);
        }
        // One very long text: bounded time and memory, every id valid.
        string longText = string.Concat(Enumerable.Repeat("床前明月光，疑是地上霜。😀\u0301 ", 80_000));
        var ids = OnnxTestModels.Tokenizer().EncodeToIds(longText, 512, out int dropped);
        Assert.HasCount(512, ids);
        Assert.IsGreaterThan(500_000, dropped);
    }

    [TestMethod]
    public void AClassifierScoresAnyTextWithFiniteProbabilitiesAndWeightsSummingToOne()
    {
        using var classifier = OnnxTestModels.Build(EncoderKind.Conv, PoolingKind.Attention);
        OddText.Where(t => !string.IsNullOrWhiteSpace(t)).Sample(text =>
        {
            var prediction = classifier.Predict(text);
            Assert.IsTrue(prediction.Probabilities.All(float.IsFinite));
            if (prediction.Tokens.Count > 0) Assert.AreEqual(1f, prediction.Tokens.Sum(t => t.Weight), 1e-4f);
            Assert.IsTrue(prediction.UnknownShare is >= 0 and <= 1);
        }, seed: Seed, iter: Scaled(300, divisor: 10), threads: 1);
    }

    // Pieces of delimited and JSON lines, with BOMs, quotes, CRLF/LF mixes and truncation.
    private static readonly Gen<string> OddDataFile = Gen.Frequency(
            W(4, Gen.OneOf<string>("text", "label", ",", "\t", "\"", "\"\"", "{", "}", ":", "[", "]", "\"text\"", "\"label\"", "床前明月光", "tang", "song", "1", "0", "null", "true", "é")),
            W(2, Gen.OneOf<string>("\n", "\r\n", "\r")),
            W(1, Gen.OneOf<string>("\uFEFF", "\uFFFE", "\0", "\uD800")),
            W(1, Gen.Int[0, 0x2FFF].Select(i => ((char)i).ToString())))
        .Array[0, 400].Select(parts => string.Concat(parts));

    [TestMethod]
    public void DamagedDataFilesGiveTheDocumentedErrorOrRows()
    {
        string directory = Path.Combine(Path.GetTempPath(), "mlna-fuzz", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        var header = Gen.OneOf<string>("", "text,label\n", "text\tlabel\n", "{\"text\": \"床前\", \"label\": \"tang\"}\n");
        var invalidUtf8 = Gen.Byte.Array[0, 8];
        Gen.Select(header, OddDataFile, invalidUtf8, Gen.OneOf<string>(".csv", ".tsv", ".jsonl", ".txt"), Gen.Bool).Sample((head, body, bytes, extension, lenient) =>
        {
            string path = Path.Combine(directory, "data" + extension);
            File.WriteAllBytes(path, [.. System.Text.Encoding.UTF8.GetBytes(head + body), .. bytes]);
            var options = new ReaderOptions { Lenient = lenient };
            try
            {
                var rows = DataSources.ReadFile(path, options, new ReadReport(), "text", "label").ToList();
                foreach (var row in rows) Assert.IsFalse(string.IsNullOrWhiteSpace(row.Text), "a row with no text was returned");
            }
            catch (DataFormatException e)
            {
                Assert.IsFalse(lenient && e.Message.Length == 0);
                StringAssert.Contains(e.Message, "data" + extension, "the error names the file");
            }
        }, seed: Seed, iter: Scaled(2_000), threads: 1);
    }

    [TestMethod]
    [DataRow(false)]
    [DataRow(true)]
    public void DamagedModelFilesLoadAsTheModelOrFailWithModelLoadException(bool compact)
    {
        string original = Path.Combine(Path.GetTempPath(), "mlna-fuzz", Guid.NewGuid().ToString("N"));
        // The compact layout: no weights.bin, the weights (int8 bigram rows behind a rank per bucket) read back from model.onnx.
        using (var classifier = OnnxTestModels.Build(compact ? EncoderKind.None : EncoderKind.Conv, PoolingKind.Attention, bigrams: compact ? 997 : 0))
            OnnxExporter.SaveWithOnnx(classifier, original, compact ? OnnxExportOptions.Compact() : null);
        string[] files = compact ? ["model.json", "vocab.json", "model.onnx"] : ["model.json", "vocab.json", "weights.bin", "model.onnx"];
        var sizes = files.ToDictionary(f => f, f => (int)new FileInfo(Path.Combine(original, f)).Length);
        string copy = original + "-damaged";
        int refused = 0, loaded = 0;
        Gen.Select(Gen.Int[0, files.Length - 1], Gen.Double[0, 1], Gen.Int[1, 64], Gen.Bool, Gen.Byte).Sample((fileIndex, where, span, truncate, value) =>
        {
            if (Directory.Exists(copy)) Directory.Delete(copy, recursive: true);
            Directory.CreateDirectory(copy);
            foreach (string f in files) File.Copy(Path.Combine(original, f), Path.Combine(copy, f));
            string file = Path.Combine(copy, files[fileIndex]);
            byte[] bytes = File.ReadAllBytes(file);
            int at = (int)(where * (sizes[files[fileIndex]] - 1));
            if (truncate) bytes = bytes[..at];
            else for (int i = at; i < Math.Min(bytes.Length, at + span); i++) bytes[i] ^= (byte)(value | 1);
            File.WriteAllBytes(file, bytes);
            try
            {
                using var model = AttentionClassifier.Load(copy);
                Assert.IsTrue(model.Predict(OnnxTestModels.Texts).All(p => p.Probabilities.All(float.IsFinite)));
                loaded++;
            }
            catch (ModelLoadException)
            {
                refused++;
            }
            try
            {
                using var onnx = AttentionOnnxModel.Load(Path.Combine(copy, "model.onnx"));
                Assert.IsTrue(onnx.Predict(OnnxTestModels.Texts).All(p => p.Probabilities.All(float.IsFinite)));
            }
            catch (ModelLoadException)
            {
            }
        }, seed: Seed, iter: Scaled(200, divisor: 100), threads: 1);
        Console.WriteLine($"damaged {(compact ? "compact" : "full")} model directories: {refused} refused with ModelLoadException, {loaded} loaded with finite outputs");
        Assert.IsGreaterThan(0, refused);
    }
}
