using NetGen.Generator.Emitter;
using NetGen.Generator.Model;

namespace NetGen.Generator.Catalog.Layers;

// The CUDA lowering of fractional max pooling (docs/cuda.md, docs/adr/0050-cuda-fractional-pooling-and-hierarchical-softmax.md).

/// <summary>FractionalMaxPool2D: ng_fractional_maxpool2d_forward computes each window's start on the device, in double, from
/// the same counter-RNG key as the CPU (training: per sample and channel, keyed by the step; inference: per channel, keyed
/// by <c>InferenceStep</c>), so both backends pool the same regions and the key is a scalar argument a CUDA graph replay
/// rewrites; ng_fractional_maxpool2d_backward gathers dy over the overlapping windows that chose each input (no atomics).</summary>
internal sealed partial class FractionalMaxPool2DEntry
{
    public override string? CudaUnsupportedReason(NodeContext c) => null;

    public override void EmitCudaFields(SourceWriter w, CudaNodeContext c) => EmitFields(w, c.Cpu);

    public override void EmitCudaForward(SourceWriter w, CudaNodeContext c)
    {
        string node = LayerCatalog.I(c.Node.Ordinal), geometry = Conv2DEntry.Geometry(c.Node);
        w.WriteLine("if (training)");
        w.OpenBrace();
        w.WriteLine($"// ng_fractional_maxpool2d_forward: [B×{Shapes.Cross(c.Cpu.OutputShape)}], one thread per output; u_W, u_H of plane b·C + c from the CPU's key (seed, node {node}, step), the starts in double; the argmax (h·W + w) kept");
        w.WriteLine($"_k.FractionalMaxPool2DForward({c.X}, {c.Y}, {c.Cache("argmax")}, B, in {geometry}, {c.Cpu.DropoutKey}, samplePerRow: true);");
        w.CloseBrace();
        w.WriteLine("else");
        w.OpenBrace();
        w.WriteLine($"// ng_fractional_maxpool2d_forward: [B×{Shapes.Cross(c.Cpu.OutputShape)}], the fixed regions of channel c keyed by (seed, node {node}) alone, as the CPU's inference");
        w.WriteLine($"_k.FractionalMaxPool2DForward({c.X}, {c.Y}, default(global::NetGen.Cuda.DeviceView<int>?), B, in {geometry}, {InferenceKey(c.Node.Ordinal)}, samplePerRow: false);");
        w.CloseBrace();
    }

    public override void EmitCudaBackward(SourceWriter w, CudaNodeContext c)
    {
        w.WriteLine($"// ng_fractional_maxpool2d_backward: dx[B×{Shapes.Cross(c.Cpu.InputShape)}] = Σ dy over the outputs whose argmax it is, in row-major order, one thread per input; the windows recomputed from the forward's key");
        w.WriteLine($"_k.FractionalMaxPool2DBackward({c.Dy}, {c.Cache("argmax")}, {c.Dx}, B, in {Conv2DEntry.Geometry(c.Node)}, {TrainingKey(c.Node.Ordinal)}, samplePerRow: true);");
    }

    /// <summary>The training key of the forward, from CudaCore's fields (Backward has no seed and step arguments; the
    /// gradient launches run Forward with the same _seed and _step).</summary>
    private static string TrainingKey(int ordinal) =>
        $"global::NetGen.CounterRng.Key(_seed, global::NetGen.CounterRng.DropoutStream, {LayerCatalog.I(ordinal)}, (ulong)_step)";

    private static string InferenceKey(int ordinal) =>
        $"global::NetGen.CounterRng.Key(seed, global::NetGen.CounterRng.DropoutStream, {LayerCatalog.I(ordinal)}, global::NetGen.Kernels.FractionalMaxPool2D.InferenceStep)";
}
