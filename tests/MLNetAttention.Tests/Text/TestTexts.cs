namespace MLNetAttention.Tests.Text;

/// <summary>Real sentences, Chinese and English, shared by the tokenizer tests.</summary>
internal static class TestTexts
{
    public static readonly string[] Sentences =
    [
        "床前明月光，疑是地上霜。举头望明月，低头思故乡。",
        "白日依山尽，黄河入海流。 欲穷千里目，更上一层楼。",
        "春眠不觉晓，处处闻啼鸟。夜来风雨声，花落知多少。",
        "This movie was AMAZING!!! The acting, the score (by Hans Zimmer) and the 2nd half... 10/10, would watch again.",
        "I didn't like it: too long, too loud; the plot made no sense. Café scenes were nice though — naïve but sweet.",
        "Hello, 世界! ABC123 def\t😀 👍🏽 👨‍👩‍👧\r\n最后一行 ok？",
    ];
}
