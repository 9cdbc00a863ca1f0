namespace NetGen.Generator.Tests;

/// <summary>
/// The generated comment of a Conv2D's backward names the dW kernel that <c>Kernels.Conv2D.Backward</c> runs for its
/// geometry: the tap GEMM of ADR 0060 (C·kh·kw &gt; 128), the direct kernel of ADR 0056 (3 ≤ C·kh·kw ≤ 128), or none (the
/// GEMM on im2col) for a padded, strided or 1×1 convolution. The runtime's side of the same rule is pinned by
/// <c>LeNetConvTests.DeepDwKernels_TakeTheirGeometries_AndOnlyThose</c> and <c>DwKernelRules_AreTheGeneratedComments</c>.
/// </summary>
public sealed class ConvDwCommentTests
{
    [Theory]
    // LeNet's conv2: C·kh·kw = 20·5·5 = 500 > 128.
    [InlineData(20, 12, 5, 0, "(kernel Conv2DTapGradient: stride 1, no padding, C·kh·kw = 500 > 128")]
    // The bench CNN's conv2: 8·3·3 = 72, 16 output channels, kw 3.
    [InlineData(8, 13, 3, 0, "(kernel Conv2D, direct: stride 1, no padding, C·kh·kw = 72 ≤ 128, no im2col; 8 channels × 3 taps on 512-bit registers")]
    // Padded: the GEMM on im2col, no kernel named.
    [InlineData(8, 13, 3, 1, null)]
    public void TheCommentNamesTheDwKernel(int channels, int size, int kernel, int padding, string? named)
    {
        GeneratorHarness.Result result = GeneratorHarness.Run($$"""
            using NetGen;
            namespace Demo.Dw;
            [Network(InputShape = new[] { 1, {{size}}, {{size}} }, BatchSize = 8)]
            [Conv2D({{channels}}, 1), Conv2D(16, {{kernel}}, Padding = {{padding}}), Flatten, Dense(10)]
            public partial class DwNet { }
            """);
        Assert.Empty(result.CompilationProblems);
        string source = result.Source();
        // The first convolution (1×1 to the channels, no dx) is pointwise: no kernel named for it.
        if (named is null)
        {
            Assert.DoesNotContain("dW = Σ_B dy · im2col(x)ᵀ (kernel", source);
        }
        else
        {
            Assert.Contains("dW = Σ_B dy · im2col(x)ᵀ " + named, source);
            // The first convolution (1×1, C·kh·kw = 1) is named nowhere.
            Assert.DoesNotContain("C·kh·kw = 1 ", source);
        }
    }
}
