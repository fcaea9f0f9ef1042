using Microsoft.Extensions.ObjectPool;
using Microsoft.ML;

namespace MLNetAttention.MLNet;

/// <summary>
/// A thread-safe way to score single examples with an ML.NET model, as <c>PredictionEnginePool</c> of
/// Microsoft.Extensions.ML offers: ML.NET's <see cref="PredictionEngine{TSrc, TDst}"/> is not thread-safe (one shared
/// by several threads can crash inside ONNX Runtime), so each call borrows an engine from a pool and returns it.
/// Engines are created on demand and at most <c>maximumRetained</c> are kept between calls.
/// </summary>
/// <typeparam name="TSource">The input row type (for example a class with a <c>Text</c> property).</typeparam>
/// <typeparam name="TPrediction">The output row type (for example with <c>Score</c>, <c>AttentionWeights</c> and <c>Tokens</c>).</typeparam>
/// <remarks>
/// Thread safety across MLNetAttention: a fitted <see cref="ITransformer"/>'s <c>Transform</c>, <c>AttentionOnnxModel</c>,
/// <c>AttentionOnnxMatcher</c> and this pool may be used from many threads at once; a <see cref="PredictionEngine{TSrc, TDst}"/>
/// may not.
/// </remarks>
public sealed class AttentionPredictionPool<TSource, TPrediction>
    where TSource : class
    where TPrediction : class, new()
{
    private readonly ObjectPool<PredictionEngine<TSource, TPrediction>> _engines;

    /// <summary>Creates the pool over <paramref name="model"/>.</summary>
    /// <param name="mlContext">The context the model was loaded or fitted in.</param>
    /// <param name="model">The fitted model, for example an <c>AttentionPool</c> or <c>AttentionMatch</c> pipeline.</param>
    /// <param name="maximumRetained">Engines kept between calls; default twice the processor count.</param>
    public AttentionPredictionPool(MLContext mlContext, ITransformer model, int? maximumRetained = null)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        ArgumentNullException.ThrowIfNull(model);
        int retained = maximumRetained ?? Environment.ProcessorCount * 2;
        ArgumentOutOfRangeException.ThrowIfLessThan(retained, 1, nameof(maximumRetained));
        _engines = new DefaultObjectPool<PredictionEngine<TSource, TPrediction>>(new EnginePolicy(mlContext, model), retained);
    }

    /// <summary>Scores one example; safe to call from any number of threads at once.</summary>
    public TPrediction Predict(TSource example)
    {
        ArgumentNullException.ThrowIfNull(example);
        var engine = _engines.Get();
        try
        {
            return engine.Predict(example);
        }
        finally
        {
            _engines.Return(engine);
        }
    }

    private sealed class EnginePolicy(MLContext mlContext, ITransformer model) : PooledObjectPolicy<PredictionEngine<TSource, TPrediction>>
    {
        public override PredictionEngine<TSource, TPrediction> Create() => mlContext.Model.CreatePredictionEngine<TSource, TPrediction>(model);

        public override bool Return(PredictionEngine<TSource, TPrediction> obj) => true;
    }
}
