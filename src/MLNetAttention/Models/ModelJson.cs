using System.Text.Json;
using System.Text.Json.Serialization;

namespace MLNetAttention.Models;

/// <summary>The JSON settings of every file the library writes: camelCase, indented, enums as names.</summary>
internal static class ModelJson
{
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };
}
