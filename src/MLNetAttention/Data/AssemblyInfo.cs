using System.Runtime.CompilerServices;

// The split builders are internal; the tests exercise them on small synthetic corpora.
[assembly: InternalsVisibleTo("MLNetAttention.Tests")]
// The training-step profiler times the trainers' own optimizer.
[assembly: InternalsVisibleTo("MLNetAttention.Benchmarks")]
