using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace MLNetAttention.Cli.Serve;

/// <summary>The server's limits on one request.</summary>
/// <param name="MaxTexts">Texts (or pairs) per request at most (--max-texts).</param>
/// <param name="MaxChars">Characters (UTF-16 code units) per text at most (--max-chars).</param>
/// <param name="MaxBodyBytes">Bytes per request body at most (--max-body-bytes).</param>
internal sealed record RequestLimits(int MaxTexts, int MaxChars, long MaxBodyBytes);

/// <summary>Reads and checks request bodies; every refusal is a <see cref="RequestProblem"/> whose detail names the field or limit.</summary>
internal static class RequestReader
{
    public const string TextsExample = """{"texts": ["床前明月光，疑是地上霜。"]}""";
    public const string PairsExample = """{"pairs": [{"text1": "床前明月光", "text2": "疑是地上霜"}]}""";

    /// <summary>Parses the body as JSON, refusing one over the size limit (413) or not JSON (400).</summary>
    public static async Task<JsonDocument> ReadJsonAsync(HttpContext context, RequestLimits limits, string example)
    {
        if (context.Request.ContentLength > limits.MaxBodyBytes) throw TooLarge(context, limits);
        if (context.Request.ContentLength == 0) throw new RequestProblem(400, $"The request has no body. Send JSON such as {example}.");
        try
        {
            return await JsonDocument.ParseAsync(context.Request.Body, default, context.RequestAborted);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            // A body without Content-Length (chunked) that outgrew Kestrel's MaxRequestBodySize.
            throw TooLarge(context, limits);
        }
        catch (JsonException e)
        {
            throw new RequestProblem(400, $"The body is not valid JSON ({e.Message}). Send JSON such as {example}.");
        }
    }

    private static RequestProblem TooLarge(HttpContext context, RequestLimits limits)
    {
        // The unread rest of the body cannot be skipped within the limit: close the connection after answering, so the
        // client does not send its next request on a connection the server is about to drop.
        context.Response.Headers.Connection = "close";
        return new RequestProblem(413,
            $"The request body is larger than {limits.MaxBodyBytes} bytes, the server's --max-body-bytes. Send fewer or shorter texts per request, or start the server with a larger --max-body-bytes.",
            limit: "max-body-bytes");
    }

    /// <summary>The texts of a POST /v1/predict body, <c>{"texts": ["...", ...]}</c>.</summary>
    public static string[] Texts(JsonElement root, RequestLimits limits)
    {
        var array = Array(root, "texts", TextsExample, limits);
        var texts = new string[array.GetArrayLength()];
        int i = 0;
        foreach (var element in array.EnumerateArray())
        {
            texts[i] = Text(element, $"texts[{i}]", limits, "classify");
            i++;
        }
        return texts;
    }

    /// <summary>The pairs of a POST /v1/match body, <c>{"pairs": [{"text1": "...", "text2": "..."}, ...]}</c>.</summary>
    public static (string Text1, string Text2)[] Pairs(JsonElement root, RequestLimits limits)
    {
        var array = Array(root, "pairs", PairsExample, limits);
        var pairs = new (string, string)[array.GetArrayLength()];
        int i = 0;
        foreach (var element in array.EnumerateArray())
        {
            string field = $"pairs[{i}]";
            if (element.ValueKind != JsonValueKind.Object)
                throw new RequestProblem(400, $"{field} is {Describe(element)}, not an object. Send each pair as {{\"text1\": \"...\", \"text2\": \"...\"}}.", field);
            pairs[i] = (Side(element, field, "text1", limits), Side(element, field, "text2", limits));
            i++;
        }
        return pairs;
    }

    private static string Side(JsonElement pair, string field, string name, RequestLimits limits)
    {
        if (!pair.TryGetProperty(name, out var side))
            throw new RequestProblem(400, $"{field} has no \"{name}\". Send each pair as {{\"text1\": \"...\", \"text2\": \"...\"}}.", $"{field}.{name}");
        return Text(side, $"{field}.{name}", limits, "match");
    }

    private static JsonElement Array(JsonElement root, string name, string example, RequestLimits limits)
    {
        if (root.ValueKind != JsonValueKind.Object)
            throw new RequestProblem(400, $"The body is {Describe(root)}; send a JSON object such as {example}.");
        if (!root.TryGetProperty(name, out var array))
            throw new RequestProblem(400, $"The body has no \"{name}\" field. Send JSON such as {example}.", name);
        if (array.ValueKind != JsonValueKind.Array)
            throw new RequestProblem(400, $"\"{name}\" is {Describe(array)}, not an array. Send JSON such as {example}.", name);
        int count = array.GetArrayLength();
        if (count == 0)
            throw new RequestProblem(400, $"\"{name}\" is empty; send at least one.", name);
        if (count > limits.MaxTexts)
            throw new RequestProblem(400,
                $"\"{name}\" has {count} items; this server takes at most {limits.MaxTexts} per request (--max-texts). Split them over several requests.",
                name, limit: "max-texts");
        return array;
    }

    private static string Text(JsonElement element, string field, RequestLimits limits, string verb)
    {
        if (element.ValueKind != JsonValueKind.String)
            throw new RequestProblem(400, $"{field} is {Describe(element)}, not a string.", field);
        string text = element.GetString()!;
        if (string.IsNullOrWhiteSpace(text))
            throw new RequestProblem(400, $"{field} is empty; there is nothing to {verb}. Fill it in or leave it out.", field);
        if (text.Length > limits.MaxChars)
            throw new RequestProblem(400,
                $"{field} has {text.Length} characters; this server takes at most {limits.MaxChars} per text (--max-chars). Shorten it or split it into several texts.",
                field, limit: "max-chars");
        return text;
    }

    private static string Describe(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        _ => "null",
    };
}
