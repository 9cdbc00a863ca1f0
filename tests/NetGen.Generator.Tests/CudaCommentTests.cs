namespace NetGen.Generator.Tests;

/// <summary>
/// The CUDA core's comments give each layer's formula without the CPU's kernel choices: a convolution's forward and
/// backward comments there name no CPU kernel (ConvPool, ConvGemmPool, Conv2DBackward, Conv2DTapGradient…), since the
/// CUDA core runs its own kernels, named on the lines after (<c>ng_conv2d_forward</c>, <c>ng_conv2d_input_grad</c>…).
/// The CPU core's comments still name its kernels and their rules.
/// </summary>
public sealed class CudaCommentTests
{
    private const string LeNet = """
        using NetGen;
        namespace Demo.CudaComments;
        [Network(InputShape = new[] { 1, 28, 28 }, BatchSize = 64, Optimizer = Optimizer.Adam, LearningRate = 1e-3)]
        [Conv2D(20, 5), ReLU, MaxPool2D(2)]
        [Conv2D(50, 5), ReLU, MaxPool2D(2)]
        [Flatten, Dense(500), ReLU, Dense(10)]
        public partial class CommentNet { }
        """;

    private static readonly string[] CpuKernels =
        ["kernel ConvPool", "ConvGemmPool", "kernel Conv2D", "Conv2DBackward", "Conv2DTapGradient", "PoolConvBackward", "ConvPoolBackward"];

    [Fact]
    public void TheCudaCoresComments_NameNoCpuKernel_AndTheCpuCoresStillDo()
    {
        GeneratorHarness.Result result = GeneratorHarness.Run(LeNet);
        Assert.Empty(result.CompilationProblems);
        string source = result.Source();
        int cuda = source.IndexOf("private sealed class CudaCore", StringComparison.Ordinal);
        int cpu = source.IndexOf("private sealed class Core<T>", StringComparison.Ordinal);
        Assert.True(cuda > 0 && cpu > cuda, "the CUDA core comes before the CPU core");
        string cudaCore = source[cuda..cpu], cpuCore = source[cpu..];

        foreach (string kernel in CpuKernels)
        {
            Assert.DoesNotContain(kernel, cudaCore);
        }

        // The formulas are there, with the CUDA kernels on the lines after.
        Assert.Contains("y[B,50,8,8][o,i,j] = Σ_c,u,v W[50,20,5,5][o,c,u,v] · x[B,20,12,12][c, i + u, j + v] + b[o] (zero padding), then", cudaCore);
        Assert.Contains("// dx = Σ over the windows of Wᵀ·dy (col2im);  dW = Σ_B dy · im2col(x)ᵀ;  db[o] = Σ_B,i,j dy", cudaCore);
        Assert.Contains("ng_conv2d_forward", cudaCore);
        Assert.Contains("ng_conv2d_input_grad", cudaCore);

        // The CPU core keeps its kernel names and rules.
        Assert.Contains("kernel ConvPool → ConvGemmPool", cpuCore);
        Assert.Contains("(kernel Conv2DTapGradient: stride 1, no padding, C·kh·kw = 500 > 128", cpuCore);
        Assert.Contains("kernel PoolConvBackward", cpuCore);
    }
}
