using System.Runtime.CompilerServices;

// The split builders are internal; the tests exercise them on small synthetic corpora.
[assembly: InternalsVisibleTo("MLNetAttention.Tests")]
// The training-step profiler times the trainers' own optimizer.
[assembly: InternalsVisibleTo("MLNetAttention.Benchmarks")]
// The training package builds predictions with the same internal helpers as the ONNX scorers.
[assembly: InternalsVisibleTo("MLNetAttention.TorchSharp")]
