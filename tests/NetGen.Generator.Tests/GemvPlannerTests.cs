using NetGen.Generator.Lowering;

namespace NetGen.Generator.Tests;

/// <summary>The one-row (batch 1) kernel of a Dense layer, chosen at compile time (docs/adr/0034).</summary>
public class GemvPlannerTests
{
    [Fact]
    public void ChooseGemv_IsTheRuntimesRule()
    {
        // The lowering writes each Dense layer's batch-1 kernel into the generated call; the runtime resolves GemvMode.Auto
        // with its own copy of the rule. Every shape on this grid must agree.
        int[] sizes = [1, 2, 5, 8, 10, 15, 16, 17, 31, 64, 100, 128, 255, 256, 257, 512, 784, 1024, 4096];
        foreach (int outputs in sizes)
        {
            foreach (int inputs in sizes)
            {
                Assert.Equal(global::NetGen.Kernels.Gemv.Choose(outputs, inputs).ToString(), CpuLowering.ChooseGemv(outputs, inputs).ToString());
            }
        }
    }

    [Fact]
    public void TheBenchmarkMlpSplitsItsTwoWideLayersOnly()
    {
        // 784 → 256 (200,704 multiply-adds) and 256 → 128 (32,768) against the threshold; 128 → 10 has one 8-row block and a tail.
        Assert.Equal(GemvMode.Parallel, CpuLowering.ChooseGemv(256, 784));
        Assert.Equal(128L * 256 >= global::NetGen.Kernels.Gemv.ParallelThreshold, CpuLowering.ChooseGemv(128, 256) == GemvMode.Parallel);
        Assert.Equal(GemvMode.Serial, CpuLowering.ChooseGemv(10, 128));
        Assert.Equal(GemvMode.Serial, CpuLowering.ChooseGemv(15, 100_000));
    }
}
