using System.Text.Encodings.Web;
using System.Text.Json;

namespace MLNetAttention.Text;

public sealed partial class AttentionTokenizer
{
    /// <summary>The <c>format</c> field of a saved vocabulary.</summary>
    public const string FormatName = "MLNetAttention.Vocabulary";

    /// <summary>The <c>version</c> field written by this library; files with a higher version cannot be read.</summary>
    public const int FormatVersion = 1;

    private static readonly JsonWriterOptions WriterOptions = new()
    {
        Indented = true,
        // Keep CJK and emoji tokens readable in the file.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>
    /// Saves the options and vocabulary as JSON. The file is replaced atomically: the JSON is written to a temporary
    /// file in the same directory, which is then moved over <paramref name="path"/>.
    /// </summary>
    public void Save(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        string fullPath = Path.GetFullPath(path);
        string temporary = Path.Combine(Path.GetDirectoryName(fullPath)!, $".{Path.GetFileName(fullPath)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                Save(file);
                file.Flush(flushToDisk: true);
            }
            File.Move(temporary, fullPath, overwrite: true);
        }
        catch
        {
            // Exists is false (not an error) when the directory itself is missing, so the original error surfaces.
            if (File.Exists(temporary))
                File.Delete(temporary);
            throw;
        }
    }

    /// <summary>Writes the options and vocabulary as JSON to <paramref name="stream"/>, which is left open.</summary>
    public void Save(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var writer = new Utf8JsonWriter(stream, WriterOptions);
        Write(writer);
    }

    /// <summary>Returns the options and vocabulary as JSON, for example to embed in ONNX model metadata.</summary>
    public string ToJson()
    {
        using var buffer = new MemoryStream();
        Save(buffer);
        return System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    /// <summary>Loads a tokenizer saved by <see cref="Save(string)"/>.</summary>
    /// <exception cref="InvalidDataException">The file is not a valid vocabulary.</exception>
    public static AttentionTokenizer Load(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        return Read(file, $"The vocabulary file '{Path.GetFullPath(path)}'");
    }

    /// <summary>Loads a tokenizer saved by <see cref="Save(Stream)"/>; the stream is left open.</summary>
    /// <exception cref="InvalidDataException">The stream does not hold a valid vocabulary.</exception>
    public static AttentionTokenizer Load(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        return Read(stream, stream is FileStream file ? $"The vocabulary file '{file.Name}'" : "The vocabulary stream");
    }

    /// <summary>Creates a tokenizer from the JSON returned by <see cref="ToJson"/>.</summary>
    /// <exception cref="InvalidDataException">The JSON is not a valid vocabulary.</exception>
    public static AttentionTokenizer FromJson(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        using var stream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(json));
        return Read(stream, "The vocabulary JSON");
    }

    private void Write(Utf8JsonWriter writer)
    {
        AttentionTokenizerOptions options = Options;
        writer.WriteStartObject();
        writer.WriteString("format", FormatName);
        writer.WriteNumber("version", FormatVersion);
        writer.WriteStartObject("options");
        writer.WriteString("mode", options.Mode.ToString());
        writer.WriteNumber("minFrequency", options.MinFrequency);
        writer.WriteNumber("maxLength", options.MaxLength);
        writer.WriteString("longTextHandling", options.LongTextHandling.ToString());
        writer.WriteNumber("windowStride", options.WindowStride);
        writer.WriteEndObject();
        writer.WriteStartArray("tokens");
        foreach (string token in _tokens)
            writer.WriteStringValue(token);
        writer.WriteEndArray();
        if (_counts is not null)
        {
            writer.WriteStartArray("counts");
            foreach (long count in _counts)
                writer.WriteNumberValue(count);
            writer.WriteEndArray();
        }
        writer.WriteEndObject();
    }

    private static AttentionTokenizer Read(Stream stream, string subject)
    {
        InvalidDataException Invalid(string problem, Exception? inner = null) => new(
            $"{subject} {problem}. Re-create the vocabulary with `train` (AttentionTokenizer.Train, then Save).", inner);

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(stream, new JsonDocumentOptions { AllowTrailingCommas = false });
        }
        catch (JsonException e)
        {
            throw Invalid($"is not valid JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}: it may be truncated or damaged)", e);
        }

        using (document)
        {
            JsonElement root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw Invalid($"is not an {FormatName} file (the JSON is {Describe(root.ValueKind)}, not an object)");
            if (!root.TryGetProperty("format", out JsonElement format) || format.ValueKind != JsonValueKind.String)
                throw Invalid($"is not an {FormatName} file (it has no \"format\" field)");
            if (format.GetString() != FormatName)
                throw Invalid($"is not an {FormatName} file (its format is \"{format.GetString()}\")");
            if (!root.TryGetProperty("version", out JsonElement versionElement) || !versionElement.TryGetInt32(out int version) || version < 1)
                throw Invalid("has no valid \"version\" field");
            if (version > FormatVersion)
                throw Invalid($"has format version {version}, but this library reads version {FormatVersion} and older (update MLNetAttention)");

            AttentionTokenizerOptions options = ReadOptions(root, Invalid);
            (string[] tokens, long[]? counts) = ReadVocabulary(root, Invalid);
            return new AttentionTokenizer(tokens, counts, options);
        }
    }

    private static AttentionTokenizerOptions ReadOptions(JsonElement root, Func<string, Exception?, InvalidDataException> invalid)
    {
        if (!root.TryGetProperty("options", out JsonElement element) || element.ValueKind != JsonValueKind.Object)
            throw invalid("has no \"options\" object", null);

        int ReadInt(string name, int fallback)
        {
            if (!element.TryGetProperty(name, out JsonElement value))
                return fallback;
            if (!value.TryGetInt32(out int result))
                throw invalid($"has an invalid option \"{name}\" ({value.GetRawText()}; expected a whole number)", null);
            return result;
        }

        TEnum ReadEnum<TEnum>(string name, TEnum? fallback) where TEnum : struct, Enum
        {
            if (!element.TryGetProperty(name, out JsonElement value))
            {
                return fallback ?? throw invalid($"has no \"{name}\" option", null);
            }
            string? text = value.ValueKind == JsonValueKind.String ? value.GetString() : null;
            foreach (TEnum candidate in Enum.GetValues<TEnum>())
            {
                if (string.Equals(candidate.ToString(), text, StringComparison.OrdinalIgnoreCase))
                    return candidate;
            }
            throw invalid($"has an unknown {name} {value.GetRawText()} (expected {string.Join(" or ", Enum.GetNames<TEnum>().Select(n => $"\"{n}\""))})", null);
        }

        var defaults = new AttentionTokenizerOptions();
        var options = new AttentionTokenizerOptions
        {
            Mode = ReadEnum<TokenizationMode>("mode", null),
            MinFrequency = ReadInt("minFrequency", defaults.MinFrequency),
            MaxLength = ReadInt("maxLength", defaults.MaxLength),
            LongTextHandling = ReadEnum<LongTextHandling>("longTextHandling", defaults.LongTextHandling),
            WindowStride = ReadInt("windowStride", defaults.WindowStride),
        };
        if (options.FindProblem() is { } problem)
            throw invalid($"has invalid options: {problem}", null);
        return options;
    }

    private static (string[] Tokens, long[]? Counts) ReadVocabulary(JsonElement root, Func<string, Exception?, InvalidDataException> invalid)
    {
        if (!root.TryGetProperty("tokens", out JsonElement tokensElement) || tokensElement.ValueKind != JsonValueKind.Array)
            throw invalid("has no vocabulary (no \"tokens\" array)", null);

        var tokens = new string[tokensElement.GetArrayLength()];
        if (tokens.Length < 2)
            throw invalid($"has a vocabulary of {tokens.Length} tokens; it needs at least \"{PaddingToken}\" and \"{UnknownToken}\"", null);
        var firstIds = new Dictionary<string, int>(tokens.Length, StringComparer.Ordinal);
        int id = 0;
        foreach (JsonElement item in tokensElement.EnumerateArray())
        {
            string? token = item.ValueKind == JsonValueKind.String ? item.GetString() : null;
            if (string.IsNullOrEmpty(token))
                throw invalid($"has an invalid token at id {id} ({item.GetRawText()}; expected a non-empty string)", null);
            if (!firstIds.TryAdd(token, id))
                throw invalid($"has the duplicate token \"{token}\" at ids {firstIds[token]} and {id}", null);
            tokens[id++] = token;
        }
        if (tokens[PaddingId] != PaddingToken || tokens[UnknownId] != UnknownToken)
            throw invalid($"does not start with the special tokens: ids 0 and 1 must be \"{PaddingToken}\" and \"{UnknownToken}\" (found \"{tokens[0]}\" and \"{tokens[1]}\")", null);

        if (!root.TryGetProperty("counts", out JsonElement countsElement) || countsElement.ValueKind == JsonValueKind.Null)
            return (tokens, null);
        if (countsElement.ValueKind != JsonValueKind.Array || countsElement.GetArrayLength() != tokens.Length)
            throw invalid($"has a \"counts\" field that is not an array of {tokens.Length} numbers, one per token", null);
        var counts = new long[tokens.Length];
        id = 0;
        foreach (JsonElement item in countsElement.EnumerateArray())
        {
            if (!item.TryGetInt64(out long count) || count < 0)
                throw invalid($"has an invalid count at id {id} ({item.GetRawText()}; expected a whole number of at least 0)", null);
            counts[id++] = count;
        }
        return (tokens, counts);
    }

    private static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        _ => kind.ToString().ToLowerInvariant(),
    };
}
