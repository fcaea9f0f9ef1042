using MLNetAttention.Data;

namespace MLNetAttention.Tests.Data;

[TestClass]
public sealed class TextInputsTests
{
    private static string Write(string name, byte[] bytes)
    {
        string directory = Path.Combine(Path.GetTempPath(), "mlna-text-inputs", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        string path = Path.Combine(directory, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    [TestMethod]
    public void JsonLinesGiveTextsWithOptionalLabelsAndPlainTextOneTextPerLine()
    {
        string jsonl = Write("in.jsonl", System.Text.Encoding.UTF8.GetBytes("{\"text\":\"床前明月光\",\"label\":\"tang\"}\n\n{\"text\":\"大江東去\",\"label\":1}\n{\"text\":\"春眠\"}\n"));
        var rows = TextInputs.Read(jsonl);
        CollectionAssert.AreEqual(new (string, string?)[] { ("床前明月光", "tang"), ("大江東去", "1"), ("春眠", null) }, rows.ToArray());
        string text = Write("in.txt", System.Text.Encoding.UTF8.GetBytes("床前明月光\n\n大江東去\n"));
        Assert.HasCount(2, TextInputs.Read(text));
        Assert.AreEqual(("a literal text", (string?)null), TextInputs.Read("a literal text").Single());
        Assert.ThrowsExactly<FileNotFoundException>(() => TextInputs.Read("missing.jsonl"));
    }

    [TestMethod]
    public void ABadJsonLineIsADataFormatErrorNamingFileAndLine()
    {
        string noText = Write("a.jsonl", System.Text.Encoding.UTF8.GetBytes("{\"text\":\"月\"}\n{\"label\":\"tang\"}\n"));
        var error = Assert.ThrowsExactly<DataFormatException>(() => TextInputs.Read(noText));
        StringAssert.Contains(error.Message, "a.jsonl");
        StringAssert.Contains(error.Message, ":2");
        // A string that is not valid UTF-8 (JSON itself parses): before, an InvalidOperationException escaped as an internal error.
        string badUtf8 = Write("b.jsonl", [.. System.Text.Encoding.UTF8.GetBytes("{\"text\":\""), 0xE7, 0xB5, .. System.Text.Encoding.UTF8.GetBytes("\"}\n")]);
        error = Assert.ThrowsExactly<DataFormatException>(() => TextInputs.Read(badUtf8));
        StringAssert.Contains(error.Message, "b.jsonl");
    }
}
