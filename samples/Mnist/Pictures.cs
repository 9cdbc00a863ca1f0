using NetGen;
using NetGen.Data;

namespace Samples.Mnist;

/// <summary>
/// --plots DIR: pictures of the run (NetGen.Plots), written after training as PNG and SVG: curves (loss and accuracy per
/// epoch, training and validation), update-ratios (‖ΔW‖ / ‖W‖ per parameter tensor every 50 steps), parameters and
/// gradients (a histogram per tensor; the gradients of one test batch), activations and activation-gradients (a
/// histogram per stored layer output and its ∂L/∂y on that batch, from ActivationMonitor) and first-layer (conv1's 5×5 filters, or each of
/// the MLP's first 100 units as a 28×28 image).
/// </summary>
internal sealed class Pictures(INeuralNetwork<int> net, string directory)
{
    private readonly UpdateRatioRecorder _ratios = new(net, everySteps: 50);

    /// <summary>For <see cref="FitOptions.OnBatchEnd"/>: records the update ratios.</summary>
    public void OnBatchEnd(BatchProgress _) => _ratios.Observe();

    /// <summary>Writes the pictures of the finished run into the directory.</summary>
    public void Write(TrainingHistory history, InMemoryDataset test)
    {
        int rows = Math.Min(net.MaxBatch, test.Count);
        var activations = new ActivationMonitor(net); // records ∂L/∂y of every stored layer output from the next backward on
        net.ComputeGradients(test.Features.AsSpan(0, rows * test.FeatureCount), test.Labels.AsSpan(0, rows));
        string name = net.Name;
        new TrainingCurves(history, title: $"{name} on MNIST").Save(Path.Combine(directory, "curves"));
        new UpdateRatioChart(_ratios, title: $"{name}: update-to-weight ratio per tensor (every {_ratios.Monitor!.EverySteps} steps)").Save(Path.Combine(directory, "update-ratios"));
        LayerHistograms.OfParameters(net, title: $"{name}: parameters after training").Save(Path.Combine(directory, "parameters"));
        LayerHistograms.OfGradients(net, title: $"{name}: gradients on {rows} test images").Save(Path.Combine(directory, "gradients"));
        activations.Measure();
        new LayerHistograms(activations.ActivationValues(), title: $"{name}: activations on {rows} test images").Save(Path.Combine(directory, "activations"));
        new LayerHistograms(activations.GradientValues(), title: $"{name}: ∂L/∂y per layer on {rows} test images").Save(Path.Combine(directory, "activation-gradients"));
        Console.Write(activations.Report());
        WeightGrid.FirstLayer(net).Save(Path.Combine(directory, "first-layer"));
        Console.WriteLine($"pictures (PNG and SVG): curves, update-ratios, parameters, gradients, activations, activation-gradients, first-layer in {Path.GetFullPath(directory)}");
    }
}
