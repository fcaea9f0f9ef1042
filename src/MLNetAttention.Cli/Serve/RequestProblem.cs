using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;

namespace MLNetAttention.Cli.Serve;

/// <summary>
/// A request the server refuses, answered as an RFC 9457 (formerly 7807) problem: <c>application/problem+json</c> with
/// <c>type</c>, <c>title</c>, <c>status</c>, <c>detail</c> (what is wrong and how to fix it) and <c>instance</c>, plus
/// <c>field</c> (the JSON path at fault), <c>limit</c> (the server option that was exceeded) or <c>endpoint</c> (where to
/// send the request instead) when they apply.
/// </summary>
internal sealed class RequestProblem(int status, string detail, string? field = null, string? limit = null, string? endpoint = null) : Exception(detail)
{
    public int Status { get; } = status;

    public string? Field { get; } = field;

    public string? Limit { get; } = limit;

    public string? Endpoint { get; } = endpoint;

    /// <summary>Writes the problem as the response.</summary>
    public Task WriteAsync(HttpContext context) => Write(context, Status, Message, Field, Limit, Endpoint);

    /// <summary>Writes a problem response with <paramref name="status"/> and <paramref name="detail"/>.</summary>
    public static Task Write(HttpContext context, int status, string detail, string? field = null, string? limit = null, string? endpoint = null)
    {
        var body = new Dictionary<string, object>
        {
            // about:blank: the status says what kind of problem it is; detail, field and limit say which.
            ["type"] = "about:blank",
            ["title"] = ReasonPhrases.GetReasonPhrase(status),
            ["status"] = status,
            ["detail"] = detail,
            ["instance"] = context.Request.Path.Value ?? "/",
        };
        if (field is not null) body["field"] = field;
        if (limit is not null) body["limit"] = limit;
        if (endpoint is not null) body["endpoint"] = endpoint;
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/problem+json; charset=utf-8";
        return JsonSerializer.SerializeAsync(context.Response.Body, body, CliJson.Compact, context.RequestAborted);
    }
}
