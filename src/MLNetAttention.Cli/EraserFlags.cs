using System.CommandLine;
using MLNetAttention.Faithfulness;

namespace MLNetAttention.Cli;

/// <summary>
/// The flags of the ERASER explainer comparison that 'faithfulness' and 'evaluate --faithfulness' share: which
/// explainers, the integrated-gradients steps, how many texts and how tokens are erased.
/// </summary>
internal sealed class EraserFlags
{
    /// <summary>The explainers' command-line names, in report order.</summary>
    public static readonly (string Name, ExplainerKind Kind)[] Names =
    [
        ("attention", ExplainerKind.Attention),
        ("heads", ExplainerKind.AttentionHeads),
        ("leave-one-out", ExplainerKind.LeaveOneOut),
        ("gradient-x-input", ExplainerKind.GradientTimesInput),
        ("integrated-gradients", ExplainerKind.IntegratedGradients),
        ("random", ExplainerKind.Random),
    ];

    private readonly Option<string[]> _explainers = new("--explainers")
    {
        Description = "ERASER comprehensiveness/sufficiency of these explainers (comma-separated or repeated): " +
            string.Join(", ", Names.Select(n => n.Name)) + "; 'all' (the default) or 'none' to skip.",
        AllowMultipleArgumentsPerToken = true,
    };

    private readonly Option<int> _steps = new("--ig-steps")
    {
        Description = "Integration steps of integrated gradients (from the zero/padding embedding).",
        DefaultValueFactory = _ => new ExplainerComparisonOptions().IntegratedGradientsSteps,
    };

    private readonly Option<int> _examples = new("--eraser-examples")
    {
        Description = "Texts for the ERASER explainer comparison (the first ones); 0 = all.",
        DefaultValueFactory = _ => new ExplainerComparisonOptions().MaxExamples,
    };

    private readonly Option<EraseMode> _mode = new("--eraser-mode")
    {
        Description = "How the ERASER metrics erase tokens: remove (delete them, the rest concatenated: the ERASER default) | unknown (replace by <unk>).",
        DefaultValueFactory = _ => EraseMode.Remove,
    };

    /// <summary>
    /// The explainers named by --explainers values (comma-separated or repeated; 'all' is every one of <paramref name="names"/>),
    /// each once and in the order of <paramref name="names"/>; null for 'none', and for no value unless <paramref name="emptyIsAll"/>.
    /// </summary>
    /// <exception cref="UsageException">A name not in <paramref name="names"/>, or 'none' with others.</exception>
    public static ExplainerKind[]? ParseExplainers(IEnumerable<string>? values, IReadOnlyList<(string Name, ExplainerKind Kind)> names, bool emptyIsAll)
    {
        var given = (values ?? Array.Empty<string>())
            .SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            .Select(v => v.ToLowerInvariant()).ToList();
        if (given.Contains("none"))
        {
            if (given.Count > 1) throw new UsageException("--explainers none cannot be combined with other explainers.");
            return null;
        }
        if (given.Count == 0 && !emptyIsAll) return null;
        var kinds = new HashSet<ExplainerKind>();
        foreach (var name in given.Count == 0 ? ["all"] : given)
        {
            if (name == "all") { kinds.UnionWith(names.Select(n => n.Kind)); continue; }
            var match = names.FirstOrDefault(n => n.Name == name);
            if (match.Name is null)
                throw new UsageException($"--explainers has '{name}'; choose from {string.Join(", ", names.Select(n => n.Name))}, all or none.");
            kinds.Add(match.Kind);
        }
        // In the order of the names, each once.
        return names.Select(n => n.Kind).Where(kinds.Contains).ToArray();
    }

    /// <summary>Adds the flags to <paramref name="command"/>.</summary>
    public void AddTo(Command command)
    {
        command.Options.Add(_explainers);
        command.Options.Add(_steps);
        command.Options.Add(_examples);
        command.Options.Add(_mode);
    }

    /// <summary>The comparison's options, or null for '--explainers none'.</summary>
    /// <exception cref="UsageException">An unknown explainer name or an invalid value.</exception>
    public ExplainerComparisonOptions? Read(ParseResult parse)
    {
        var kinds = ParseExplainers(parse.GetValue(_explainers), Names, emptyIsAll: true);
        if (kinds is null) return null;
        var options = new ExplainerComparisonOptions
        {
            // In the report's order, each once.
            Explainers = kinds,
            IntegratedGradientsSteps = parse.GetValue(_steps),
            MaxExamples = parse.GetValue(_examples),
            EraseMode = parse.GetValue(_mode),
        };
        try
        {
            options.Validate();
        }
        catch (ArgumentException e)
        {
            string message = e.ParamName is null ? e.Message : e.Message.Replace($" (Parameter '{e.ParamName}')", "", StringComparison.Ordinal);
            throw new UsageException(message.Replace("IntegratedGradientsSteps", "--ig-steps", StringComparison.Ordinal)
                .Replace("MaxExamples", "--eraser-examples", StringComparison.Ordinal));
        }
        return options;
    }
}
