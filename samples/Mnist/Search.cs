using System.Diagnostics;
using NetGen;
using NetGen.Data;

namespace Samples.Mnist;

/// <summary>
/// <c>--search N</c>: random search over the learning rate and the L2 strength of the MLP, coarse to fine (Bergstra and
/// Bengio 2012; the CS231n notes): N configurations sampled log-uniformly, each trained for one epoch on 6,000 training
/// images and scored by its accuracy on 1,000 others; then N more in ranges narrowed around the three best, two epochs
/// each. Two models train at a time, one per core. Prints both tables, best first, and a warning when a best value sits
/// near the edge of its range.
/// </summary>
internal static class MnistSearch
{
    private const int TrainRows = 6000, ValidationRows = 1000;

    public static int Run(MnistDataset data, int trials, ulong seed)
    {
        int rows = Math.Min(TrainRows + ValidationRows, data.TrainCount);
        int trainRows = rows * TrainRows / (TrainRows + ValidationRows);
        InMemoryDataset train = Slice(data.Train, 0, trainRows), validation = Slice(data.Train, trainRows, rows - trainRows);
        var coarse = new RandomSearch([SearchRange.LogUniform("lr", 1e-5, 1e-1), SearchRange.LogUniform("l2", 1e-6, 1e-1)], seed);
        var clock = Stopwatch.StartNew();
        SearchResult result = coarse.Run(trials, t => Score(t, train, validation, epochs: 1));
        Print($"coarse: {trials} configurations, 1 epoch on {train.Count} images each ({clock.Elapsed.TotalSeconds:F1} s)", result);

        RandomSearch fine = coarse.Refine(result, top: 3);
        clock.Restart();
        SearchResult refined = fine.Run(trials, t => Score(t, train, validation, epochs: 2));
        Print($"fine: {string.Join(", ", fine.Ranges)}; 2 epochs each ({clock.Elapsed.TotalSeconds:F1} s)", refined);
        Console.WriteLine($"best: {refined.Best.Trial} (validation accuracy {refined.Best.Score:F4}); train longer with these on the full set");
        return 0;
    }

    /// <summary>Validation accuracy of a fresh MLP trained with the trial's settings; NaN when training diverged.</summary>
    private static double Score(SearchTrial trial, InMemoryDataset train, InMemoryDataset validation, int epochs)
    {
        // The declared WeightDecay is compiled into the network, so the sampled L2 strength λ is applied after each step as
        // W ← W − lr·λ·W on the tensors the network marks for decay (for SGD exactly the L2 gradient; with Adam the
        // decoupled weight decay of Loshchilov and Hutter).
        var net = new MnistMlp(trial.Seed) { LearningRate = trial["lr"] };
        float shrink = (float)(1 - (trial["lr"] * trial["l2"]));
        try
        {
            TrainingHistory history = net.Fit(train, new FitOptions
            {
                Epochs = epochs,
                Seed = trial.Seed,
                TrainingEvaluationRows = 0,
                Progress = TrainingProgress.None,
                OnBatchEnd = _ => Decay(net, shrink),
            }, validation);
            return history.StopReason == StopReason.NonFiniteLoss ? double.NaN : history.Final?.Accuracy ?? double.NaN;
        }
        catch (ArithmeticException)
        {
            return double.NaN; // the step overflowed: the learning rate is far too high
        }
    }

    private static void Decay(MnistMlp net, float shrink)
    {
        Span<float> parameters = net.Parameters;
        foreach (ParameterInfo p in MnistMlp.ParameterTable)
        {
            if (p.WeightDecay)
            {
                System.Numerics.Tensors.TensorPrimitives.Multiply(parameters.Slice(p.Offset, p.Length), shrink, parameters.Slice(p.Offset, p.Length));
            }
        }
    }

    private static InMemoryDataset Slice(InMemoryDataset data, int start, int count) =>
        new(data.Features.AsSpan(start * data.FeatureCount, count * data.FeatureCount).ToArray(), data.Labels.AsSpan(start, count).ToArray(), data.FeatureCount);

    private static void Print(string title, SearchResult result)
    {
        Console.WriteLine(title);
        Console.Write(result.ToTable());
        foreach (string warning in result.BoundaryWarnings)
        {
            Console.WriteLine("warning: " + warning);
        }

        Console.WriteLine();
    }
}
