using MLNetAttention.Modules;
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using static TorchSharp.torch;

namespace MLNetAttention.Benchmarks;

/// <summary>
/// Forward and backward time of the conv encoder's layer as one autograd node (<see cref="MaskedConvolution"/>)
/// against the same computation as libtorch ops (pads, concatenation, linear, bias, ReLU, masks), interleaved in one
/// process so the host's drift hits both alike.
/// </summary>
internal static class ConvProfileBenchmark
{
    public static Command Create()
    {
        var batch = new Option<int>("--batch") { DefaultValueFactory = _ => 16, Description = "Texts per call (16: one half of a batch of 32)." };
        var steps = new Option<int>("--steps") { DefaultValueFactory = _ => 64, Description = "Padded length." };
        var threads = new Option<int>("--threads") { DefaultValueFactory = _ => 1 };
        var rounds = new Option<int>("--rounds") { DefaultValueFactory = _ => 5, Description = "Interleaved rounds of 200 calls; each way reports its best round." };
        var command = new Command("conv-profile", "Conv encoder layer: one autograd node vs libtorch ops, float32 and bfloat16.") { batch, steps, threads, rounds };
        command.SetAction(parse =>
        {
            set_num_threads(parse.GetValue(threads));
            int b = parse.GetValue(batch), t = parse.GetValue(steps);
            const int dim = 128;
            manual_seed(1);
            using var conv = nn.Conv1d(dim, dim, 3, padding: 1);
            var weight = conv.weight!;
            var bias = conv.bias!;
            var x0 = randn(b, t, dim);
            // The last quarter of each text is padding.
            var mask = ones(b, t);
            mask[.., (3 * t / 4)..] = tensor(0f);
            var upstream = randn(b, t, dim);

            Tensor AsLibtorchOps(Tensor x)
            {
                // The encoder's formulation before MaskedConvolution.
                var m = mask.unsqueeze(-1);
                var input = x * m;
                var before = nn.functional.pad(input, new long[] { 0, 0, 1, 0 })[.., ..t];
                var after = nn.functional.pad(input, new long[] { 0, 0, 0, 1 })[.., 1..];
                var flat = weight.permute(0, 2, 1).reshape(dim, -1);
                return MixedPrecision.Linear(cat(new[] { before, input, after }, -1), flat, bias).relu() * m;
            }
            Tensor AsOneNode(Tensor x) =>
                MaskedConvolution.Apply(x, mask, weight, bias, MixedPrecision.AppliesTo(x) ? ScalarType.BFloat16 : ScalarType.Float32);

            var c = CultureInfo.InvariantCulture;
            foreach (bool bfloat16 in new[] { false, true })
            {
                using var precision = bfloat16 ? MixedPrecision.Enable() : null;
                var best = new Dictionary<string, (double Forward, double Backward)>();
                for (int round = 0; round < parse.GetValue(rounds); round++)
                    foreach (var (name, layer) in new (string, Func<Tensor, Tensor>)[] { ("libtorch ops", AsLibtorchOps), ("one node", AsOneNode) })
                    {
                        var forward = new Stopwatch();
                        var backward = new Stopwatch();
                        for (int call = 0; call < 220; call++)
                        {
                            if (call == 20) { forward.Reset(); backward.Reset(); }
                            using var scope = NewDisposeScope();
                            var x = x0.detach().requires_grad_(true);
                            forward.Start();
                            var y = layer(x);
                            forward.Stop();
                            backward.Start();
                            (y * upstream).sum().backward();
                            backward.Stop();
                            weight.grad?.zero_();
                            bias.grad?.zero_();
                        }
                        var timing = (forward.Elapsed.TotalMilliseconds / 200, backward.Elapsed.TotalMilliseconds / 200);
                        if (!best.TryGetValue(name, out var seen) || timing.Item1 + timing.Item2 < seen.Forward + seen.Backward) best[name] = timing;
                    }
                foreach (var (name, (f, bw)) in best)
                    Console.WriteLine(string.Create(c, $"{(bfloat16 ? "bfloat16" : "float32"),-9} {name,-13} forward {f:0.00} ms, backward {bw:0.00} ms, total {f + bw:0.00} ms (batch {b}, {t} steps, {parse.GetValue(threads)} thread(s))"));
            }
            return 0;
        });
        return command;
    }
}
