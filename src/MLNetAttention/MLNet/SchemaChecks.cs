using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNetAttention.MLNet;

/// <summary>Input-column checks with ML.NET's messages ("Could not find input column 'X'", "Schema mismatch for input column 'X': expected String, got Single").</summary>
internal static class SchemaChecks
{
    private const string ParameterName = "inputSchema";

    public static Exception Missing(string column) =>
        new ArgumentOutOfRangeException(ParameterName, $"Could not find input column '{column}'");

    public static Exception Mismatch(string column, string expected, string actual) =>
        new ArgumentOutOfRangeException(ParameterName, $"Schema mismatch for input column '{column}': expected {expected}, got {actual}");

    public static DataViewSchema.Column CheckText(DataViewSchema schema, string column)
    {
        ArgumentNullException.ThrowIfNull(schema);
        var found = schema.GetColumnOrNull(column) ?? throw Missing(column);
        if (found.Type is not TextDataViewType)
            throw Mismatch(column, "String", found.Type.ToString() ?? found.Type.GetType().Name);
        return found;
    }

    public static void CheckText(SchemaShape schema, string column)
    {
        var matches = schema.Where(c => c.Name == column).ToList();
        if (matches.Count == 0)
            throw Missing(column);
        var found = matches[^1];
        if (found.Kind != SchemaShape.Column.VectorKind.Scalar || found.ItemType is not TextDataViewType)
            throw Mismatch(column, "String", Describe(found));
    }

    public static string Describe(SchemaShape.Column column) => column.Kind switch
    {
        SchemaShape.Column.VectorKind.Scalar => column.IsKey ? $"Key<{column.ItemType}>" : $"{column.ItemType}",
        SchemaShape.Column.VectorKind.Vector => $"Vector<{column.ItemType}>",
        _ => $"VarVector<{column.ItemType}>",
    };
}
