using NetGen.Generator.Lowering;

namespace NetGen.Generator.Tests;

/// <summary>Which Dense layers read their one-row forward from row panels (docs/adr/0054), decided at compile time for the
/// generated comment and at run time by the kernel: the two rules must agree.</summary>
public class GemvRowPanelPlannerTests
{
    [Fact]
    public void UsesRowPanels_IsTheRuntimesRule()
    {
        int[] sizes = [1, 2, 5, 8, 10, 15, 16, 17, 31, 63, 64, 65, 100, 128, 255, 256, 257, 512, 784, 1024, 4096, 8192];
        foreach (int outputs in sizes)
        {
            foreach (int inputs in sizes)
            {
                Assert.Equal(global::NetGen.Kernels.Gemv.UsesRowPanels(outputs, inputs), CpuLowering.UsesRowPanels(outputs, inputs));
            }
        }
    }

    [Fact]
    public void TheBenchmarkMlpReadsPanelsInItsTwoWideLayersOnly()
    {
        Assert.True(CpuLowering.UsesRowPanels(256, 784));
        Assert.True(CpuLowering.UsesRowPanels(128, 256));
        Assert.False(CpuLowering.UsesRowPanels(10, 128)); // 5 KB: stays in L1 as stored
    }
}
