using System.Globalization;
using MLNetAttention.Training;

namespace MLNetAttention.Cli;

/// <summary>
/// A progress bar with loss, accuracy, speed and ETA on stderr (redrawn in place on a terminal), and one
/// line per finished epoch with the validation scores and the process memory.
/// </summary>
internal sealed class ProgressReporter : IProgress<TrainingProgress>, IDisposable
{
    private const int BarWidth = 24;
    private readonly bool _interactive = !Console.IsErrorRedirected;
    private bool _barShown;

    public void Report(TrainingProgress value)
    {
        if (value.Completed is { } epoch)
        {
            ClearBar();
            var v = epoch.Validation;
            string validation = v is null ? "" : string.Create(CultureInfo.InvariantCulture, $"  val_loss {v.Loss:0.0000}  val_acc {v.Accuracy:0.0000}  val_f1 {v.MacroF1:0.0000}");
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"epoch {epoch.Epoch}/{value.Epochs}  loss {epoch.TrainLoss:0.0000}  acc {epoch.TrainAccuracy:0.0000}{validation}  {epoch.SamplesPerSecond:N0} texts/s  {epoch.Seconds:0.0} s  lr {epoch.LearningRate:g3}  rss {epoch.WorkingSetMegabytes:N0} MB"));
            return;
        }
        if (!_interactive) return;
        int filled = value.Steps == 0 ? 0 : BarWidth * value.Step / value.Steps;
        string bar = new string('#', filled) + new string('.', BarWidth - filled);
        Console.Error.Write(string.Create(CultureInfo.InvariantCulture,
            $"\repoch {value.Epoch}/{value.Epochs} [{bar}] {value.Step}/{value.Steps}  loss {value.Loss:0.0000}  acc {value.Accuracy:0.0000}  {value.SamplesPerSecond:N0} texts/s  eta {value.EpochRemaining:mm\\:ss}   "));
        _barShown = true;
    }

    private void ClearBar()
    {
        if (!_barShown) return;
        Console.Error.Write("\r" + new string(' ', 120) + "\r");
        _barShown = false;
    }

    public void Dispose() => ClearBar();
}
