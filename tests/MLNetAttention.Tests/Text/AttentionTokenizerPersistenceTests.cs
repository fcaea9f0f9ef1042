using System.Text.Json.Nodes;
using MLNetAttention.Text;

namespace MLNetAttention.Tests.Text;

[TestClass]
public sealed class AttentionTokenizerPersistenceTests
{
    private string _directory = "";

    [TestInitialize]
    public void CreateDirectory() =>
        _directory = Directory.CreateTempSubdirectory("mlnetattention-text-").FullName;

    [TestCleanup]
    public void DeleteDirectory() => Directory.Delete(_directory, recursive: true);

    private static AttentionTokenizer Trained() => AttentionTokenizer.Train(
        TestTexts.Sentences,
        new AttentionTokenizerOptions
        {
            Mode = TokenizationMode.Mixed,
            MinFrequency = 1,
            MaxLength = 12,
            LongTextHandling = LongTextHandling.Window,
            WindowStride = 8,
        });

    private static void AssertSameEncoding(AttentionTokenizer expected, AttentionTokenizer actual)
    {
        Assert.AreEqual(expected.Options, actual.Options);
        CollectionAssert.AreEqual(expected.Vocabulary.ToArray(), actual.Vocabulary.ToArray());
        foreach (string text in TestTexts.Sentences)
            CollectionAssert.AreEqual(expected.EncodeToIds(text).ToArray(), actual.EncodeToIds(text).ToArray(), text);
    }

    [TestMethod]
    public void FileRoundTripGivesIdenticalIds()
    {
        AttentionTokenizer tokenizer = Trained();
        string path = Path.Combine(_directory, "vocab.json");

        tokenizer.Save(path);
        tokenizer.Save(path);   // overwrites
        AttentionTokenizer loaded = AttentionTokenizer.Load(path);

        AssertSameEncoding(tokenizer, loaded);
        CollectionAssert.AreEqual(new[] { path }, Directory.GetFiles(_directory), "no temporary file is left behind");
        Assert.Contains("世", File.ReadAllText(path), "CJK tokens are stored readable");
    }

    [TestMethod]
    public void SavingIntoAMissingDirectoryReportsTheDirectory()
    {
        string path = Path.Combine(_directory, "missing", "vocab.json");

        Assert.ThrowsExactly<DirectoryNotFoundException>(() => Trained().Save(path));
    }

    [TestMethod]
    public void StreamRoundTripLeavesTheStreamOpen()
    {
        AttentionTokenizer tokenizer = Trained();
        using var stream = new MemoryStream();

        tokenizer.Save(stream);
        stream.Position = 0;
        AttentionTokenizer loaded = AttentionTokenizer.Load(stream);

        Assert.IsTrue(stream.CanRead);
        stream.Position = 0;
        AssertSameEncoding(tokenizer, loaded);
    }

    [TestMethod]
    public void JsonRoundTripGivesIdenticalIds()
    {
        AttentionTokenizer tokenizer = Trained();

        string json = tokenizer.ToJson();
        AttentionTokenizer loaded = AttentionTokenizer.FromJson(json);

        AssertSameEncoding(tokenizer, loaded);
        Assert.AreEqual(AttentionTokenizer.FormatName, JsonNode.Parse(json)!["format"]!.GetValue<string>());
    }

    [TestMethod]
    public void VocabularyWithoutCountsLoads()
    {
        AttentionTokenizer tokenizer = Trained();
        JsonObject json = JsonNode.Parse(tokenizer.ToJson())!.AsObject();
        json.Remove("counts");

        AssertSameEncoding(tokenizer, AttentionTokenizer.FromJson(json.ToJsonString()));
    }

    [TestMethod]
    public void TruncatedFileGivesAClearError()
    {
        string path = Path.Combine(_directory, "vocab.json");
        Trained().Save(path);
        string json = File.ReadAllText(path);
        File.WriteAllText(path, json[..(json.Length / 2)]);

        AssertLoadFails(path, "not valid JSON");
    }

    [TestMethod]
    public void FileOfAnotherFormatGivesAClearError()
    {
        string path = Path.Combine(_directory, "config.json");
        File.WriteAllText(path, """{ "format": "SomethingElse", "version": 1, "tokens": ["<pad>", "<unk>"] }""");

        AssertLoadFails(path, "SomethingElse");
        File.WriteAllText(path, """["<pad>", "<unk>"]""");
        AssertLoadFails(path, "not an object");
    }

    [TestMethod]
    public void DuplicateTokenGivesAClearError()
    {
        AssertEditedFileFails(json => json["tokens"]!.AsArray().Add("世"), "duplicate token \"世\"");
    }

    [TestMethod]
    public void OtherDamageGivesClearErrors()
    {
        AssertEditedFileFails(json => json.Remove("tokens"), "no vocabulary");
        AssertEditedFileFails(json => json["tokens"]![0] = "<unk>", "duplicate token \"<unk>\"");
        AssertEditedFileFails(json => json["tokens"]![1] = "<oov>", "ids 0 and 1 must be");
        AssertEditedFileFails(json => json["options"]!["mode"] = "Word", "unknown mode \"Word\"");
        AssertEditedFileFails(json => json["options"]!["minFrequency"] = 0, "MinFrequency");
        AssertEditedFileFails(json => json["version"] = 99, "version 99");
        AssertEditedFileFails(json => json["counts"]!.AsArray().RemoveAt(0), "counts");
    }

    private void AssertEditedFileFails(Action<JsonObject> edit, string expectedProblem)
    {
        string path = Path.Combine(_directory, "edited.json");
        JsonObject json = JsonNode.Parse(Trained().ToJson())!.AsObject();
        edit(json);
        File.WriteAllText(path, json.ToJsonString());

        AssertLoadFails(path, expectedProblem);
    }

    private static void AssertLoadFails(string path, string expectedProblem)
    {
        var error = Assert.ThrowsExactly<InvalidDataException>(() => AttentionTokenizer.Load(path));
        Assert.Contains(path, error.Message);
        Assert.Contains(expectedProblem, error.Message);
        Assert.Contains("`train`", error.Message);

        using var stream = File.OpenRead(path);
        var streamError = Assert.ThrowsExactly<InvalidDataException>(() => AttentionTokenizer.Load(stream));
        Assert.Contains(path, streamError.Message);
    }
}
