using System.CommandLine;
using MLNetAttention.Benchmarks;

var root = new RootCommand("MLNetAttention benchmarks: accuracy against fastText and ML.NET, and training speed. Run alone on the machine: a second busy process slows thread pools 4-20x.")
{
    ClassifyBenchmark.Create(),
    CompactBenchmark.Create(),
    CompactBenchmark.CreateSpeed(),
    EnsembleBenchmark.Create(),
    MemberHeadsBenchmark.Create(),
    BaselineBenchmark.Create(),
    SizePlotBenchmark.Create(),
    TrainSpeedBenchmark.Create(),
    TrainProfileBenchmark.Create(),
    ConvProfileBenchmark.Create(),
    MlNetScoringBenchmark.Create(),
    MatchBenchmark.Create(),
    MatchBenchmark.CreateSpeed(),
    ServeLoadBenchmark.Create(),
};
return await root.Parse(args).InvokeAsync();
