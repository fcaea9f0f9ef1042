using System.Net;
using System.Text;
using System.Text.Json;
using MLNetAttention.Onnx;
using MLNetAttention.Tests.Cli;

namespace MLNetAttention.Tests.Serve;

/// <summary><c>mlnet-attention serve</c> through the real executable and HTTP on loopback.</summary>
[TestClass]
public sealed class ServeHttpTests
{
    private const double Tolerance = 1e-6;

    private static string Texts(params string[] texts) => JsonSerializer.Serialize(new { texts });

    /// <summary>Checks one element of a /v1/predict answer against the in-process ONNX Runtime prediction.</summary>
    internal static void AssertSamePrediction(ClassPrediction expected, JsonElement actual)
    {
        Assert.AreEqual(expected.Text, actual.GetProperty("text").GetString());
        Assert.AreEqual(expected.Label, actual.GetProperty("label").GetString());
        Assert.AreEqual(expected.Probability, actual.GetProperty("probability").GetDouble(), Tolerance);
        var probabilities = actual.GetProperty("probabilities");
        for (int i = 0; i < expected.Labels.Count; i++)
            Assert.AreEqual(expected.Probabilities[i], probabilities.GetProperty(expected.Labels[i]).GetDouble(), Tolerance, expected.Labels[i]);
        Assert.AreEqual(expected.Heads, actual.GetProperty("heads").GetInt32());
        Assert.AreEqual(expected.TruncatedTokens, actual.GetProperty("truncatedTokens").GetInt32());
        Assert.AreEqual(expected.UnknownShare, actual.GetProperty("unknownShare").GetDouble(), Tolerance);
        var tokens = actual.GetProperty("tokens").EnumerateArray().ToList();
        Assert.HasCount(expected.Tokens.Count, tokens);
        for (int t = 0; t < tokens.Count; t++)
        {
            var (want, got) = (expected.Tokens[t], tokens[t]);
            Assert.AreEqual(want.Token, got.GetProperty("token").GetString());
            Assert.AreEqual(want.Id, got.GetProperty("id").GetInt32());
            Assert.AreEqual(want.Offset, got.GetProperty("offset").GetInt32());
            Assert.AreEqual(want.Length, got.GetProperty("length").GetInt32());
            Assert.AreEqual(want.Weight, got.GetProperty("weight").GetDouble(), Tolerance, $"token {t} of \"{expected.Text}\"");
            if (expected.Heads > 1)
                for (int h = 0; h < expected.Heads; h++)
                    Assert.AreEqual(want.Weights[h], got.GetProperty("weights")[h].GetDouble(), Tolerance, $"token {t}, head {h}");
        }
    }

    /// <summary>Same kinds, same property names in the same order, same strings, numbers within the tolerance.</summary>
    private static void AssertSameJson(JsonElement expected, JsonElement actual, string path = "$")
    {
        Assert.AreEqual(expected.ValueKind, actual.ValueKind, path);
        switch (expected.ValueKind)
        {
            case JsonValueKind.Object:
                var names = expected.EnumerateObject().Select(p => p.Name).ToList();
                CollectionAssert.AreEqual(names, actual.EnumerateObject().Select(p => p.Name).ToList(), path);
                foreach (string name in names) AssertSameJson(expected.GetProperty(name), actual.GetProperty(name), $"{path}.{name}");
                break;
            case JsonValueKind.Array:
                Assert.AreEqual(expected.GetArrayLength(), actual.GetArrayLength(), path);
                for (int i = 0; i < expected.GetArrayLength(); i++) AssertSameJson(expected[i], actual[i], $"{path}[{i}]");
                break;
            case JsonValueKind.Number:
                Assert.AreEqual(expected.GetDouble(), actual.GetDouble(), Tolerance, path);
                break;
            default:
                Assert.AreEqual(expected.ToString(), actual.ToString(), path);
                break;
        }
    }

    [TestMethod]
    public async Task PredictAnswersEachTextAsTheOnnxModelInProcessAndInPredictJsonsShape()
    {
        string model = ServeModels.Classifier;
        string[] texts = [.. ServeModels.Poems(12), "Lorem ipsum dolor", "  床前 明月光\t疑是地上霜  ", "月🌕光"];
        using var onnx = AttentionOnnxModel.Load(Path.Combine(model, "model.onnx"));
        var expected = texts.Select(onnx.Predict).ToArray();
        using var server = ServeProcess.Start(model);

        var (status, body, type) = await server.PostAsync("/v1/predict", Texts(texts));
        Assert.AreEqual(200, status, body.ToString());
        Assert.AreEqual("application/json", type);
        var predictions = body.GetProperty("predictions").EnumerateArray().ToList();
        Assert.HasCount(texts.Length, predictions);
        for (int i = 0; i < texts.Length; i++) AssertSamePrediction(expected[i], predictions[i]);

        // Each element is what `predict --json` prints for that text: the same fields in the same order, the same values.
        var (code, output, error) = CliTests.Run(["predict", "--model", Path.Combine(model, "model.onnx"), "--json", .. texts[..3]]);
        Assert.AreEqual(0, code, error);
        var lines = output.Trim().Split('\n');
        for (int i = 0; i < 3; i++)
        {
            using var line = JsonDocument.Parse(lines[i]);
            AssertSameJson(line.RootElement, predictions[i]);
        }

        // One text per request gives the same as all together.
        for (int i = 0; i < 3; i++)
        {
            (status, body, _) = await server.PostAsync("/v1/predict", Texts(texts[i]));
            Assert.AreEqual(200, status);
            AssertSamePrediction(expected[i], body.GetProperty("predictions")[0]);
        }
    }

    [TestMethod]
    public async Task SixteenConcurrentClientsAllSucceedWithTheInProcessAnswers()
    {
        string model = ServeModels.Classifier;
        string[] poems = ServeModels.Poems(40);
        using var onnx = AttentionOnnxModel.Load(Path.Combine(model, "model.onnx"));
        var expected = poems.ToDictionary(p => p, onnx.Predict);
        using var server = ServeProcess.Start(model, "--max-wait-ms", "5");
        var clients = Enumerable.Range(0, 16).Select(client => Task.Run(async () =>
        {
            for (int round = 0; round < 4; round++)
            {
                // 1 to 3 texts per request, different for every client and round.
                var texts = Enumerable.Range(0, 1 + (client + round) % 3).Select(k => poems[(client * 7 + round * 3 + k) % poems.Length]).ToArray();
                var (status, body, _) = await server.PostAsync("/v1/predict", Texts(texts));
                Assert.AreEqual(200, status, body.ToString());
                var predictions = body.GetProperty("predictions");
                Assert.AreEqual(texts.Length, predictions.GetArrayLength());
                for (int i = 0; i < texts.Length; i++) AssertSamePrediction(expected[texts[i]], predictions[i]);
            }
        })).ToArray();
        await Task.WhenAll(clients);
        Assert.IsFalse(server.Process.HasExited);
    }

    [TestMethod]
    public async Task EachLimitAndMalformedRequestGetsItsStatusAndAProblemNamingItAndTheServerStaysUp()
    {
        using var server = ServeProcess.Start(ServeModels.Classifier, "--max-texts", "3", "--max-chars", "50", "--max-body-bytes", "2000");

        async Task<JsonElement> Refused(string path, HttpContent content, int status, string says)
        {
            using var response = await server.Client.PostAsync(path, content);
            var (actual, body, type) = await ServeProcess.ReadAsync(response);
            Assert.AreEqual(status, actual, body.ToString());
            Assert.AreEqual("application/problem+json", type);
            Assert.AreEqual(status, body.GetProperty("status").GetInt32());
            Assert.IsFalse(string.IsNullOrEmpty(body.GetProperty("title").GetString()));
            StringAssert.Contains(body.GetProperty("detail").GetString(), says);
            return body;
        }
        HttpContent Json(string json) => new StringContent(json, Encoding.UTF8, "application/json");

        var problem = await Refused("/v1/predict", Json(Texts("床", "前", "明", "月")), 400, "at most 3 per request (--max-texts)");
        Assert.AreEqual("max-texts", problem.GetProperty("limit").GetString());
        problem = await Refused("/v1/predict", Json(Texts("床前", new string('月', 51))), 400, "texts[1] has 51 characters; this server takes at most 50 per text (--max-chars)");
        Assert.AreEqual("max-chars", problem.GetProperty("limit").GetString());
        Assert.AreEqual("texts[1]", problem.GetProperty("field").GetString());

        string big = Texts(new string('月', 40), new string('月', 40)).Replace("\"texts\"", "\"padding\":\"" + new string(' ', 2000) + "\",\"texts\"", StringComparison.Ordinal);
        problem = await Refused("/v1/predict", Json(big), 413, "larger than 2000 bytes, the server's --max-body-bytes");
        Assert.AreEqual("max-body-bytes", problem.GetProperty("limit").GetString());
        // The same without a Content-Length (chunked): Kestrel stops reading at the limit.
        var chunked = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(big)));
        chunked.Headers.ContentType = new("application/json");
        chunked.Headers.ContentLength = null;
        using (var request = new HttpRequestMessage(HttpMethod.Post, "/v1/predict") { Content = chunked })
        {
            request.Headers.TransferEncodingChunked = true;
            using var response = await server.Client.SendAsync(request);
            Assert.AreEqual(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
            StringAssert.Contains(await response.Content.ReadAsStringAsync(), "--max-body-bytes");
        }

        await Refused("/v1/predict", Json("{\"texts\": [\"床前\""), 400, "not valid JSON");
        await Refused("/v1/predict", Json(""), 400, "no body");
        problem = await Refused("/v1/predict", Json("{\"text\": \"床前\"}"), 400, "no \"texts\" field");
        Assert.AreEqual("texts", problem.GetProperty("field").GetString());
        await Refused("/v1/predict", Json("[\"床前\"]"), 400, "send a JSON object such as");
        await Refused("/v1/predict", Json("{\"texts\": \"床前\"}"), 400, "\"texts\" is a string, not an array");
        await Refused("/v1/predict", Json("{\"texts\": []}"), 400, "\"texts\" is empty");
        problem = await Refused("/v1/predict", Json(Texts("床前", " \t ")), 400, "texts[1] is empty");
        Assert.AreEqual("texts[1]", problem.GetProperty("field").GetString());
        problem = await Refused("/v1/predict", Json("{\"texts\": [\"床前\", null]}"), 400, "texts[1] is null, not a string");
        problem = await Refused("/v1/match", Json("{\"pairs\": [{\"text1\": \"床前\", \"text2\": \"明月\"}]}"), 400, "POST them to /v1/predict");
        Assert.AreEqual("/v1/predict", problem.GetProperty("endpoint").GetString());

        var (status, body, type) = await server.GetAsync("/no/such/route");
        Assert.AreEqual(404, status);
        Assert.AreEqual("application/problem+json", type);
        StringAssert.Contains(body.GetProperty("detail").GetString(), "There is nothing at /no/such/route");
        (status, body, _) = await server.GetAsync("/v1/predict");
        Assert.AreEqual(405, status, "GET on a POST endpoint");
        StringAssert.Contains(body.GetProperty("detail").GetString(), "GET is not allowed");

        // Still serving after all that.
        Assert.IsFalse(server.Process.HasExited, server.Error);
        Assert.AreEqual("ok", await server.Client.GetStringAsync("/healthz"));
        (status, body, _) = await server.PostAsync("/v1/predict", Texts("床前明月光"));
        Assert.AreEqual(200, status, body.ToString());
        Assert.IsFalse(server.Error.Contains("error:", StringComparison.Ordinal), "no refusal was an internal error: " + server.Error);
    }

    [TestMethod]
    public async Task HealthzModelOpenApiAndThePageDescribeTheServer()
    {
        using var server = ServeProcess.Start(ServeModels.Classifier, "--max-batch", "32", "--max-wait-ms", "1.5");
        using (var health = await server.Client.GetAsync("/healthz"))
        {
            Assert.AreEqual(HttpStatusCode.OK, health.StatusCode);
            Assert.AreEqual("ok", await health.Content.ReadAsStringAsync());
        }

        var (status, model, _) = await server.GetAsync("/v1/model");
        Assert.AreEqual(200, status);
        Assert.AreEqual("classifier", model.GetProperty("kind").GetString());
        Assert.AreEqual("/v1/predict", model.GetProperty("endpoint").GetString());
        CollectionAssert.AreEquivalent(new[] { "song", "tang" }, model.GetProperty("labels").EnumerateArray().Select(l => l.GetString()).ToArray());
        Assert.AreEqual("Char", model.GetProperty("tokenizer").GetString());
        Assert.AreEqual(1, model.GetProperty("heads").GetInt32());
        Assert.IsGreaterThan(0, model.GetProperty("maxLength").GetInt32());
        Assert.AreEqual(JsonValueKind.Null, model.GetProperty("matcherKind").ValueKind);
        Assert.AreEqual(32, model.GetProperty("batching").GetProperty("maxBatch").GetInt32());
        Assert.AreEqual(1.5, model.GetProperty("batching").GetProperty("maxWaitMs").GetDouble(), 1e-9);
        Assert.AreEqual(256, model.GetProperty("limits").GetProperty("maxTexts").GetInt32());

        (status, var openApi, _) = await server.GetAsync("/openapi.json");
        Assert.AreEqual(200, status);
        StringAssert.StartsWith(openApi.GetProperty("openapi").GetString(), "3.");
        var paths = openApi.GetProperty("paths").EnumerateObject().Select(p => p.Name).ToList();
        foreach (string path in new[] { "/v1/predict", "/v1/match", "/v1/model", "/healthz", "/openapi.json", "/" })
            CollectionAssert.Contains(paths, path);
        Assert.IsTrue(openApi.GetProperty("paths").GetProperty("/v1/predict").TryGetProperty("post", out _));

        using var page = await server.Client.GetAsync("/");
        Assert.AreEqual("text/html", page.Content.Headers.ContentType?.MediaType);
        string html = await page.Content.ReadAsStringAsync();
        StringAssert.Contains(html, "<textarea id=\"text\"");
        Assert.IsFalse(html.Contains("__COLOR_STOPS__", StringComparison.Ordinal), "the colour map is filled in");
        StringAssert.Contains(html, "\"#440154\"", "the reports' viridis map");
        Assert.IsFalse(html.Contains("http://", StringComparison.Ordinal) || html.Contains("https://", StringComparison.Ordinal), "the page loads nothing from elsewhere");
    }

    [TestMethod]
    public async Task AMatcherServesMatchAsTheOnnxMatcherInProcessAndRefusesPredict()
    {
        string path = ServeModels.CrossMatcher;
        (string, string)[] pairs = [("床前明月光", "疑是地上霜"), ("舉頭望明月", "低頭思故鄉"), ("白日依山盡", "黃河入海流")];
        using var onnx = AttentionOnnxMatcher.Load(path);
        var expected = onnx.Predict(pairs);
        using var server = ServeProcess.Start(path);

        var (status, body, _) = await server.PostAsync("/v1/match",
            JsonSerializer.Serialize(new { pairs = pairs.Select(p => new { text1 = p.Item1, text2 = p.Item2 }) }));
        Assert.AreEqual(200, status, body.ToString());
        var predictions = body.GetProperty("predictions").EnumerateArray().ToList();
        Assert.HasCount(pairs.Length, predictions);
        for (int i = 0; i < pairs.Length; i++)
        {
            var (want, got) = (expected[i], predictions[i]);
            Assert.AreEqual(want.Text1, got.GetProperty("text1").GetString());
            Assert.AreEqual(want.Label, got.GetProperty("label").GetString());
            Assert.AreEqual(want.LabelName, got.GetProperty("labelName").GetString());
            Assert.AreEqual(want.Probability, got.GetProperty("probability").GetDouble(), Tolerance);
            var weights1 = got.GetProperty("tokens1").EnumerateArray().Select(t => t.GetProperty("weight").GetDouble()).ToList();
            var weights2 = got.GetProperty("tokens2").EnumerateArray().Select(t => t.GetProperty("weight").GetDouble()).ToList();
            for (int t = 0; t < want.Tokens1.Count; t++) Assert.AreEqual(want.Tokens1[t].Weight, weights1[t], Tolerance);
            for (int t = 0; t < want.Tokens2.Count; t++) Assert.AreEqual(want.Tokens2[t].Weight, weights2[t], Tolerance);
            var alignment = got.GetProperty("alignment");
            Assert.AreEqual(want.Alignment!.GetLength(0), alignment.GetArrayLength());
            for (int r = 0; r < want.Alignment.GetLength(0); r++)
                for (int c = 0; c < want.Alignment.GetLength(1); c++)
                    Assert.AreEqual(want.Alignment[r, c], alignment[r][c].GetDouble(), Tolerance);
        }

        (status, body, _) = await server.PostAsync("/v1/predict", Texts("床前明月光"));
        Assert.AreEqual(400, status);
        StringAssert.Contains(body.GetProperty("detail").GetString(), "POST them to /v1/match");
        Assert.AreEqual("/v1/match", body.GetProperty("endpoint").GetString());
        (status, body, _) = await server.PostAsync("/v1/match", "{\"pairs\": [{\"text1\": \"床前\"}]}");
        Assert.AreEqual(400, status);
        Assert.AreEqual("pairs[0].text2", body.GetProperty("field").GetString());

        (status, var model, _) = await server.GetAsync("/v1/model");
        Assert.AreEqual(200, status);
        Assert.AreEqual("matcher", model.GetProperty("kind").GetString());
        Assert.AreEqual("Cross", model.GetProperty("matcherKind").GetString());
        Assert.IsTrue(model.GetProperty("alignment").GetBoolean());
    }

    [TestMethod]
    public async Task CtrlCAndSigtermStopTheServerGracefullyWithExitCode0()
    {
        foreach (string signal in new[] { "INT", "TERM" })
        {
            using var server = ServeProcess.Start(ServeModels.Classifier);
            var (status, _, _) = await server.PostAsync("/v1/predict", Texts("床前明月光"));
            Assert.AreEqual(200, status);
            Assert.AreEqual(0, server.Stop(signal), $"SIG{signal}: {server.Error}");
            StringAssert.Contains(server.Error, "stopped", signal);
        }
    }

    [TestMethod]
    public void AMissingModelOrABadOptionFailsBeforeListeningWithTheDocumentedExitCode()
    {
        var (code, _, error) = CliTests.Run("serve", "--model", Path.Combine(Path.GetTempPath(), "mlna-no-such-model"), "--port", "0");
        Assert.AreEqual(3, code, error);
        StringAssert.Contains(error, "does not exist");
        Assert.IsFalse(error.Contains("listening on", StringComparison.Ordinal));

        string noOnnx = Path.Combine(Path.GetTempPath(), "mlna-serve-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(noOnnx);
        (code, _, error) = CliTests.Run("serve", "--model", noOnnx, "--port", "0");
        Assert.AreEqual(3, code, error);
        StringAssert.Contains(error, "has no model.onnx");
        StringAssert.Contains(error, "mlnet-attention export --model");

        (code, _, error) = CliTests.Run("serve", "--model", ServeModels.Classifier, "--max-texts", "0");
        Assert.AreEqual(1, code, error);
        StringAssert.Contains(error, "--max-texts is 0");
        (code, _, error) = CliTests.Run("serve", "--model", ServeModels.Classifier, "--host", "example.org");
        Assert.AreEqual(1, code, error);
        StringAssert.Contains(error, "--host 'example.org' is not an IP address");
    }
}
