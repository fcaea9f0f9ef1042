namespace MLNetAttention.Data;

/// <summary>Options shared by the readers in <see cref="DataReaders"/>.</summary>
public sealed class ReaderOptions
{
    /// <summary>
    /// False (default): the first bad row throws a <see cref="DataFormatException"/> naming file and line.
    /// True: bad rows are skipped and counted in the <see cref="ReadReport"/> passed to the reader (pass one: it is
    /// the only place skipped rows are recorded).
    /// File-level problems (missing file, missing named column) always throw.
    /// </summary>
    public bool Lenient { get; set; }

    /// <summary>
    /// The longest physical line accepted, in UTF-16 characters (default 1,000,000). A longer line is an error
    /// (or a counted skip when <see cref="Lenient"/>); it is skipped without being held in memory.
    /// </summary>
    public int MaxLineLength { get; set; } = 1_000_000;

    /// <summary>
    /// Remove Weibo emoji tags such as "[哈哈]" or "[good]" (a bracketed run of 1 to 8 letters or ideographs) from
    /// texts read with <see cref="DataReaders.ReadLabelReviewCsv"/>. Default false (tags are kept).
    /// </summary>
    public bool RemoveWeiboEmojiTags { get; set; }

    /// <summary>
    /// For THUCNews full text (<see cref="DataReaders.ReadThucNews"/> with titleOnly false): the most characters kept
    /// per article, title included (default 1000; 0 = no limit). Reading stops once it is reached.
    /// </summary>
    public int MaxTextLength { get; set; } = 1000;

    /// <summary>Trim leading and trailing white space from texts and labels (default true).</summary>
    public bool TrimText { get; set; } = true;

    internal static ReaderOptions Default { get; } = new();
}
