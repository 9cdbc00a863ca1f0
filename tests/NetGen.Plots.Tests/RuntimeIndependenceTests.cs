namespace NetGen.Plots.Tests;

/// <summary>The runtime stays free of the plotting stack, so it publishes as NativeAOT with its two dependencies only.</summary>
public sealed class RuntimeIndependenceTests
{
    [Fact]
    public void Runtime_ReferencesNeitherThePlotsAssemblyNorScottPlotNorSkia()
    {
        string[] references = typeof(INeuralNetwork).Assembly.GetReferencedAssemblies().Select(a => a.Name!).ToArray();

        Assert.Contains("System.Numerics.Tensors", references);
        Assert.DoesNotContain(references, name => name.StartsWith("NetGen.Plots", StringComparison.Ordinal)
                                               || name.StartsWith("ScottPlot", StringComparison.Ordinal)
                                               || name.StartsWith("SkiaSharp", StringComparison.Ordinal)
                                               || name.StartsWith("HarfBuzzSharp", StringComparison.Ordinal));
        Assert.Equal("NetGen.Plots", typeof(TrainingCurves).Assembly.GetName().Name);
    }
}
