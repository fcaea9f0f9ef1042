using MLNetAttention.MLNet;

namespace Microsoft.ML;

/// <summary>
/// The ML.NET trainer of MLNetAttention.TorchSharp: <c>mlContext.MulticlassClassification.Trainers.AttentionPooling(...)</c>
/// trains an attention-pooling text classifier with TorchSharp and scores it through the ONNX transformer of MLNetAttention.
/// </summary>
public static class AttentionPoolingCatalog
{
    /// <summary>
    /// Create an <see cref="AttentionPoolingTrainer"/>, which trains an attention-pooling text classifier on the text column
    /// <paramref name="textColumnName"/> and the label column <paramref name="labelColumnName"/>, exports it to ONNX and
    /// returns the <see cref="AttentionPoolTransformer"/> scoring it.
    /// </summary>
    /// <param name="catalog">The multiclass trainers catalog.</param>
    /// <param name="labelColumnName">The label column: String, or a key with string key values.</param>
    /// <param name="textColumnName">The text column, a scalar String.</param>
    /// <param name="options">Model, training and scoring options; its column names are replaced by the two arguments. Null for the defaults.</param>
    /// <remarks>
    /// Trains on the CPU with TorchSharp (needs no featurizer). Output columns as <c>AttentionPool</c>; the model is
    /// ONNX-exportable through <see cref="AttentionPoolingTrainerOptions.ModelPath"/>.
    /// </remarks>
    /// <example>
    /// <code>
    /// var labels = mlContext.Data.LoadFromEnumerable(new[] { "negative", "positive" }.Select(l => new { Label = l }));
    /// var model = mlContext.Transforms.Conversion.MapValueToKey("Label", keyData: labels)
    ///     .Append(mlContext.MulticlassClassification.Trainers.AttentionPooling("Label", "Text")).Fit(train);
    /// var metrics = mlContext.MulticlassClassification.Evaluate(model.Transform(test), "Label");
    /// </code>
    /// </example>
    public static AttentionPoolingTrainer AttentionPooling(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog,
        string labelColumnName = AttentionPoolingTrainerOptions.DefaultLabelColumnName, string textColumnName = AttentionPoolingTrainerOptions.DefaultTextColumnName,
        AttentionPoolingTrainerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        options ??= new AttentionPoolingTrainerOptions();
        options.LabelColumnName = labelColumnName;
        options.TextColumnName = textColumnName;
        return new AttentionPoolingTrainer(options);
    }

}
