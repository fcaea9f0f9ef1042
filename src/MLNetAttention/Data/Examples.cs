namespace MLNetAttention.Data;

/// <summary>One labelled text for classification.</summary>
/// <param name="Text">The input text (never empty).</param>
/// <param name="Label">The class label as written in the source (for example "pos", "1", "tang").</param>
public sealed record TextExample(string Text, string Label);

/// <summary>One labelled pair of texts for matching (for example LCQMC: "1" = same meaning, "0" = different).</summary>
/// <param name="Text1">The first text (never empty).</param>
/// <param name="Text2">The second text (never empty).</param>
/// <param name="Label">The pair label as written in the source (usually "0" or "1").</param>
public sealed record PairExample(string Text1, string Text2, string Label);
