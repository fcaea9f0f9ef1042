using System.Runtime.CompilerServices;

// The tests reach the trainers' internals on small real samples; the training-step profiler times the optimizer.
[assembly: InternalsVisibleTo("MLNetAttention.Tests")]
[assembly: InternalsVisibleTo("MLNetAttention.Benchmarks")]
