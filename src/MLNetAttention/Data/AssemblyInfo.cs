using System.Runtime.CompilerServices;

// The split builders are internal; the tests exercise them on small synthetic corpora.
[assembly: InternalsVisibleTo("MLNetAttention.Tests")]
