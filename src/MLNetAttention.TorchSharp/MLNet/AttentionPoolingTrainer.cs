using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetAttention.Data;
using MLNetAttention.Onnx;
using MLNetAttention.Training;

namespace MLNetAttention.MLNet;

/// <summary>
/// Trains an attention-pooling text classifier from an <see cref="IDataView"/> with <see cref="AttentionClassifier.Train"/>,
/// exports it to ONNX and returns the <see cref="AttentionPoolTransformer"/> that scores it, with the per-token weights.
/// Create it with <c>mlContext.MulticlassClassification.Trainers.AttentionPooling(...)</c>.
/// </summary>
/// <remarks>
/// Like ML.NET's <c>TextClassification</c> trainer, it takes a text column and a label column and needs no featurizer;
/// unlike it, the model is small, trains on the CPU in TorchSharp, explains each prediction (<c>AttentionWeights</c>) and
/// is exportable (<see cref="AttentionPoolingTrainerOptions.ModelPath"/>). Rows whose text is empty or whose label is
/// missing are skipped. The label column is a String or a key with string key values; the model's labels are the
/// distinct label strings in ordinal order.
/// </remarks>
public sealed class AttentionPoolingTrainer : IEstimator<AttentionPoolTransformer>
{
    private const string KeyValuesKind = "KeyValues";
    private readonly AttentionPoolingTrainerOptions _options;

    internal AttentionPoolingTrainer(AttentionPoolingTrainerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.LabelColumnName);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.TextColumnName);
        _options = options;
    }

    /// <summary>The options the trainer was created with.</summary>
    public AttentionPoolingTrainerOptions Options => _options;

    /// <summary>What the last <see cref="Fit"/> reported: epochs, validation metrics of the best epoch, the maximum-length choice.</summary>
    public TrainingSummary? LastTrainingSummary { get; private set; }

    /// <summary>Checks the text and label columns and returns the schema with the added columns.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A column is missing or of the wrong type.</exception>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        SchemaChecks.CheckText(inputSchema, _options.TextColumnName);
        var labels = inputSchema.Where(c => c.Name == _options.LabelColumnName).ToList();
        if (labels.Count == 0)
            throw SchemaChecks.Missing(_options.LabelColumnName);
        var label = labels[^1];
        if (label.Kind != SchemaShape.Column.VectorKind.Scalar || !(label.IsKey || label.ItemType is TextDataViewType))
            throw SchemaChecks.Mismatch(_options.LabelColumnName, "String or Key", SchemaChecks.Describe(label));

        // SchemaShape columns cannot be built outside ML.NET: a chain of ML.NET estimators with the same output types
        // computes them (the sizes, classes and key count, are known only after training and SchemaShape omits them).
        var context = new MLContext();
        var shape = new EstimatorChain<ITransformer>()
            .Append(context.Transforms.CopyColumns(PipelineColumns.Text, _options.TextColumnName))
            .Append(context.Transforms.CustomMapping<SegmentInput, OutputPlaceholder>((_, _) => { }, contractName: null))
            .Append(context.Transforms.Concatenate(AttentionPoolColumns.Score, nameof(OutputPlaceholder.Score0), nameof(OutputPlaceholder.Score1)))
            .Append(context.Transforms.Conversion.MapValue(AttentionPoolColumns.PredictedLabel,
                [new KeyValuePair<uint, string>(0, "a"), new KeyValuePair<uint, string>(1, "b")], nameof(OutputPlaceholder.Index), treatValuesAsKeyType: true))
            .Append(context.Transforms.DropColumns(PipelineColumns.Text, nameof(OutputPlaceholder.Score0), nameof(OutputPlaceholder.Score1), nameof(OutputPlaceholder.Index)));
        return shape.GetOutputSchema(inputSchema);
    }

    /// <summary>Reads the text and label columns, trains, exports to ONNX and returns the scoring transformer.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A column is missing or of the wrong type.</exception>
    /// <exception cref="ArgumentException">The data has fewer than two labels or no usable row.</exception>
    public AttentionPoolTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var examples = ReadExamples(input);
        using var classifier = AttentionClassifier.Train(examples, null, _options.Classifier, _options.Progress);
        LastTrainingSummary = classifier.Summary;
        byte[] model = OnnxExporter.ExportToBytes(classifier);
        if (_options.ModelPath is { } path)
            OnnxExporter.Export(classifier, path);

        // The catalog hands its MLContext to no third party: the scoring chain gets a context of its own, seeded alike.
        var context = new MLContext(unchecked((int)_options.Classifier.Training.Seed));
        var estimator = new AttentionPoolEstimator(context.Transforms, model, _options.ModelPath ?? "the trained model", _options.TextColumnName, _options.Scoring);
        return estimator.Fit(input);
    }

    private List<TextExample> ReadExamples(IDataView input)
    {
        var text = SchemaChecks.CheckText(input.Schema, _options.TextColumnName);
        var label = input.Schema.GetColumnOrNull(_options.LabelColumnName) ?? throw SchemaChecks.Missing(_options.LabelColumnName);
        Func<DataViewRow, Func<string?>> labelReader = label.Type switch
        {
            TextDataViewType => row =>
            {
                var getter = row.GetGetter<ReadOnlyMemory<char>>(label);
                ReadOnlyMemory<char> value = default;
                return () => { getter(ref value); return value.Length == 0 ? null : value.ToString(); };
            },
            KeyDataViewType key => KeyReader(label, key),
            _ => throw SchemaChecks.Mismatch(_options.LabelColumnName, "String or Key", label.Type.ToString() ?? label.Type.GetType().Name),
        };

        var examples = new List<TextExample>();
        using var cursor = input.GetRowCursor([text, label]);
        var textGetter = cursor.GetGetter<ReadOnlyMemory<char>>(text);
        var readLabel = labelReader(cursor);
        ReadOnlyMemory<char> textValue = default;
        while (cursor.MoveNext())
        {
            textGetter(ref textValue);
            string? labelValue = readLabel();
            if (labelValue is null || textValue.Span.IsWhiteSpace())
                continue;
            examples.Add(new TextExample(textValue.ToString(), labelValue));
        }
        if (examples.Count == 0)
            throw new ArgumentException($"No row has both a non-empty '{_options.TextColumnName}' and a '{_options.LabelColumnName}': there is nothing to train on.", nameof(input));
        return examples;
    }

    // A key label reads as its key value (a string) when the column has them, else as the key number.
    private static Func<DataViewRow, Func<string?>> KeyReader(DataViewSchema.Column column, KeyDataViewType type)
    {
        string[]? names = null;
        if (column.Annotations.Schema.GetColumnOrNull(KeyValuesKind) is { Type: VectorDataViewType { ItemType: TextDataViewType } })
        {
            VBuffer<ReadOnlyMemory<char>> values = default;
            column.Annotations.GetValue(KeyValuesKind, ref values);
            names = values.DenseValues().Select(v => v.ToString()).ToArray();
        }
        return row =>
        {
            if (type.RawType != typeof(uint))
                throw SchemaChecks.Mismatch(column.Name, "String or Key<UInt32>", type.ToString());
            var getter = row.GetGetter<uint>(column);
            uint key = 0;
            return () =>
            {
                getter(ref key);
                if (key == 0) return null;
                return names is not null && key <= names.Length ? names[key - 1] : key.ToString(System.Globalization.CultureInfo.InvariantCulture);
            };
        };
    }
}

/// <summary>The types of the columns the trainer adds, for <see cref="AttentionPoolingTrainer.GetOutputSchema"/> (infrastructure).</summary>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public sealed class OutputPlaceholder
{
    /// <summary>Tokens.</summary>
    public string[] Tokens { get; set; } = [];

    /// <summary>Token offsets.</summary>
    public int[] TokenOffsets { get; set; } = [];

    /// <summary>Weights.</summary>
    public float[] AttentionWeights { get; set; } = [];

    /// <summary>A score slot.</summary>
    public float Score0 { get; set; }

    /// <summary>A score slot.</summary>
    public float Score1 { get; set; }

    /// <summary>A label index.</summary>
    public uint Index { get; set; }
}
