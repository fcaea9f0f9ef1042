using System.Net;
using System.Reflection;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using MLNetAttention.Visualization;

namespace MLNetAttention.Cli.Serve;

/// <summary>Where the server listens and what it accepts.</summary>
/// <param name="Address">The IP address to bind.</param>
/// <param name="Port">The TCP port; 0 picks a free one.</param>
/// <param name="Limits">The per-request limits.</param>
internal sealed record ServeSettings(IPAddress Address, int Port, RequestLimits Limits);

/// <summary>
/// The HTTP side of <c>serve</c>: Kestrel and minimal APIs over a <see cref="ServedModel"/>. Every answer is JSON (a
/// problem+json body for every refusal and error) except the page at / and /healthz.
/// </summary>
internal static class ServeApp
{
    public const string PredictPath = "/v1/predict";
    public const string MatchPath = "/v1/match";

    /// <summary>How long a stopping server lets the requests in flight finish.</summary>
    public static readonly TimeSpan ShutdownTimeout = TimeSpan.FromSeconds(10);

    public static WebApplication Build(ServedModel model, ServeSettings settings)
    {
        // The content root is the tool's folder, so an appsettings.json in the working directory cannot reconfigure the server.
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = settings.Limits.MaxBodyBytes;
            kestrel.Listen(settings.Address, settings.Port);
        });
        // System.CommandLine owns Ctrl-C and SIGTERM (it cancels the command, which stops the server): the host must not
        // install its own handlers as well.
        builder.Services.AddSingleton<IHostLifetime, CommandLifetime>();
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = ShutdownTimeout);
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
        builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        // A port in use is reported by the command in one line, not as the host's stack trace.
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.None);

        var app = builder.Build();
        // A 404 (no such route) or 405 (wrong method) that no endpoint wrote gets a problem body too.
        app.UseStatusCodePages(context => RequestProblem.Write(context.HttpContext, context.HttpContext.Response.StatusCode,
            context.HttpContext.Response.StatusCode == StatusCodes.Status405MethodNotAllowed
                ? $"{context.HttpContext.Request.Method} is not allowed on {context.HttpContext.Request.Path}; see GET /openapi.json for the methods."
                : $"There is nothing at {context.HttpContext.Request.Path}. The endpoints are GET /, GET /healthz, GET /v1/model, GET /openapi.json, POST {PredictPath} and POST {MatchPath}."));
        app.Use(Guard);

        var endpoints = new Endpoints(model, settings.Limits);
        app.MapGet("/", endpoints.Page);
        app.MapGet("/healthz", Healthz);
        app.MapGet("/v1/model", endpoints.Model);
        app.MapGet("/openapi.json", OpenApi);
        app.MapPost(PredictPath, endpoints.Predict);
        app.MapPost(MatchPath, endpoints.Match);
        return app;
    }

    // Nothing a request does may take the server down: a refusal becomes its problem, anything else a 500.
    private static async Task Guard(HttpContext context, RequestDelegate next)
    {
        try
        {
            await next(context);
        }
        catch (RequestProblem problem) when (!context.Response.HasStarted)
        {
            await problem.WriteAsync(context);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away; there is no one to answer.
        }
        catch (Exception e) when (!context.Response.HasStarted)
        {
            Console.Error.WriteLine($"error: {context.Request.Method} {context.Request.Path}: {e}");
            await RequestProblem.Write(context, StatusCodes.Status500InternalServerError,
                $"The server failed on this request ({e.GetType().Name}: {e.Message}). It keeps serving; please report this with the request.");
        }
    }

    private static Task Healthz(HttpContext context)
    {
        context.Response.ContentType = "text/plain; charset=utf-8";
        return context.Response.WriteAsync("ok", context.RequestAborted);
    }

    private static readonly Lazy<byte[]> OpenApiDocument = new(() => Encoding.UTF8.GetBytes(Resource("openapi.json")));

    private static Task OpenApi(HttpContext context)
    {
        context.Response.ContentType = "application/json; charset=utf-8";
        return context.Response.Body.WriteAsync(OpenApiDocument.Value, context.RequestAborted).AsTask();
    }

    /// <summary>An embedded resource of the tool (the page, the OpenAPI description) as text.</summary>
    public static string Resource(string name)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("MLNetAttention.Cli.Serve." + name)
            ?? throw new InvalidOperationException($"The tool lacks its embedded resource '{name}'; it was built incompletely.");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }

    /// <summary>The endpoints that need the model.</summary>
    private sealed class Endpoints(ServedModel model, RequestLimits limits)
    {
        // The page is built once: its colour map is the reports' viridis (ColorMap), filled in here.
        private readonly byte[] _page = Encoding.UTF8.GetBytes(Resource("index.html")
            .Replace("\"__COLOR_STOPS__\"", JsonSerializer.Serialize(ColorMap.Stops(ColorTheme.Viridis)), StringComparison.Ordinal));

        public Task Page(HttpContext context)
        {
            context.Response.ContentType = "text/html; charset=utf-8";
            context.Response.Headers.CacheControl = "no-cache";
            return context.Response.Body.WriteAsync(_page, context.RequestAborted).AsTask();
        }

        public Task Model(HttpContext context)
        {
            var info = model.Info;
            return WriteJson(context, new
            {
                kind = info.Kind,
                file = Path.GetFileName(model.Path),
                endpoint = model.IsMatcher ? MatchPath : PredictPath,
                labels = info.Labels,
                tokenizer = model.TokenizerMode,
                heads = info.Heads,
                maxLength = info.MaxLength,
                matcherKind = info.MatcherKind?.ToString(),
                alignment = info.HasAlignment,
                producerVersion = info.ProducerVersion,
                limits = new { maxTexts = limits.MaxTexts, maxChars = limits.MaxChars, maxBodyBytes = limits.MaxBodyBytes },
                batching = new
                {
                    maxBatch = model.Batching.MaxBatchSize,
                    maxWaitMs = model.Batching.MaxWait.TotalMilliseconds,
                    workers = model.Batching.MaxConcurrentBatches,
                },
            });
        }

        public async Task Predict(HttpContext context)
        {
            if (model.IsMatcher)
                throw new RequestProblem(400,
                    $"This server runs a matcher, which scores sentence pairs: POST them to {MatchPath} as {RequestReader.PairsExample}.",
                    endpoint: MatchPath);
            string[] texts;
            using (var body = await RequestReader.ReadJsonAsync(context, limits, RequestReader.TextsExample))
                texts = RequestReader.Texts(body.RootElement, limits);
            var predictions = await Scored(() => model.PredictAsync(texts, context.RequestAborted));
            await WriteJson(context, new { predictions = predictions.Select(PredictionJson.Of) });
        }

        public async Task Match(HttpContext context)
        {
            if (!model.IsMatcher)
                throw new RequestProblem(400,
                    $"This server runs a classifier, which scores single texts: POST them to {PredictPath} as {RequestReader.TextsExample}.",
                    endpoint: PredictPath);
            (string, string)[] pairs;
            using (var body = await RequestReader.ReadJsonAsync(context, limits, RequestReader.PairsExample))
                pairs = RequestReader.Pairs(body.RootElement, limits);
            var predictions = await Scored(() => model.MatchAsync(pairs, context.RequestAborted));
            await WriteJson(context, new { predictions = predictions.Select(PredictionJson.Of) });
        }

        // The scorers refuse an input they cannot score (a text without tokens) with an ArgumentException: the request's fault.
        private static async Task<T> Scored<T>(Func<Task<T>> score)
        {
            try
            {
                return await score();
            }
            catch (ArgumentException e)
            {
                throw new RequestProblem(400, e.Message);
            }
        }

        private static Task WriteJson(HttpContext context, object value)
        {
            context.Response.ContentType = "application/json; charset=utf-8";
            return JsonSerializer.SerializeAsync(context.Response.Body, value, CliJson.Compact, context.RequestAborted);
        }
    }

    /// <summary>A host lifetime that leaves signals alone: the command's cancellation token stops the server.</summary>
    private sealed class CommandLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
