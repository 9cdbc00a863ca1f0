using NetGen.Generator.Emitter;
using NetGen.Generator.Planner;

namespace NetGen.Generator.Catalog.Layers;

// How each layer kind with CUDA kernels becomes launches of NetGen.Cuda.CudaKernels in the generated CudaCore (one
// partial part per entry, as OnnxMappings.cs does for ONNX; docs/cuda.md has the same list as a table). A kind without a
// part here keeps LayerEntry's defaults: no CUDA lowering, and Backend.Cuda throws naming the layer. Each block writes the
// kernel and its shapes as a comment before the launch; the formula above it is the CPU core's.

/// <summary>Dense: y = x·Wᵀ + b as one tiled SGEMM with the bias (and a following ReLU, Sigmoid or Tanh) in its epilogue;
/// backward dx = dy·W and dW = dyᵀ·x as two SGEMMs, db = Σ_B dy as column sums.</summary>
internal sealed partial class DenseEntry
{
    public override string? CudaUnsupportedReason(NodeContext c) => null; // its regularisation settings are checked with the state

    public override bool CudaAppliesEpilogue => true;

    public override void EmitCudaForward(SourceWriter w, CudaNodeContext c)
    {
        string epilogue = c.Lowered.Epilogue is string act ? $" + bias, then {act} in the epilogue (the store of [{c.Plan.Nodes[c.Node.Ordinal + 1].Label}])" : c.HasState("bias") ? " + bias in the epilogue" : string.Empty;
        w.WriteLine($"// ng_sgemm: C[B×{c.Out}] = A[B×{c.In}] · B[{c.Out}×{c.In}]ᵀ{epilogue}; 16×16 tiles, grid ⌈{c.Out}/16⌉ × ⌈B/16⌉");
        string activation = CudaNodeContext.Activation(c.Lowered.Epilogue ?? "Identity");
        w.WriteLine($"_k.Sgemm(false, true, B, {c.Out}, {c.In}, {c.X}, {c.In}, {c.P("weight")}, {c.In}, {c.Y}, {c.Out}, 0f, {c.P("bias")}, {activation});");
    }

    public override void EmitCudaBackward(SourceWriter w, CudaNodeContext c)
    {
        if (c.Dx is string dx)
        {
            w.WriteLine($"// ng_sgemm: dx[B×{c.In}] = dy[B×{c.Out}] · W[{c.Out}×{c.In}]");
            w.WriteLine($"_k.Sgemm(false, false, B, {c.In}, {c.Out}, {c.Dy}, {c.Out}, {c.P("weight")}, {c.In}, {dx}, {c.In});");
        }

        w.WriteLine($"// ng_sgemm: dW[{c.Out}×{c.In}] = dyᵀ[{c.Out}×B] · x[B×{c.In}] (overwritten: the gradient's one writer)");
        w.WriteLine($"_k.Sgemm(true, false, {c.Out}, {c.In}, B, {c.Dy}, {c.Out}, {c.X}, {c.In}, {c.G("weight")}, {c.In});");
        if (c.HasState("bias"))
        {
            w.WriteLine($"// ng_column_sums: db[{c.Out}] = Σ_B dy, one thread per column, rows in order");
            w.WriteLine($"_k.ColumnSums({c.Dy}, {c.G("bias")}, B, {c.Out}, accumulate: false);");
        }
    }
}

/// <summary>ReLU: ng_relu_forward / ng_relu_backward (reads y); fused into the Dense before it when nothing else reads that.</summary>
internal sealed partial class ReLUEntry
{
    public override string? CudaUnsupportedReason(NodeContext c) => null;

    public override string? CudaEpilogue => "ReLU";

    public override void EmitCudaForward(SourceWriter w, CudaNodeContext c) => SimpleActivation.Forward(w, c, "ReLU", "ng_relu_forward");

    public override void EmitCudaBackward(SourceWriter w, CudaNodeContext c) => SimpleActivation.Backward(w, c, "ReLU", "ng_relu_backward");
}

/// <summary>Sigmoid: ng_sigmoid_forward / ng_sigmoid_backward (reads y); a Dense epilogue when fused.</summary>
internal sealed partial class SigmoidEntry
{
    public override string? CudaUnsupportedReason(NodeContext c) => null;

    public override string? CudaEpilogue => "Sigmoid";

    public override void EmitCudaForward(SourceWriter w, CudaNodeContext c) => SimpleActivation.Forward(w, c, "Sigmoid", "ng_sigmoid_forward");

    public override void EmitCudaBackward(SourceWriter w, CudaNodeContext c) => SimpleActivation.Backward(w, c, "Sigmoid", "ng_sigmoid_backward");
}

/// <summary>Tanh: ng_tanh_forward / ng_tanh_backward (reads y); a Dense epilogue when fused.</summary>
internal sealed partial class TanhEntry
{
    public override string? CudaUnsupportedReason(NodeContext c) => null;

    public override string? CudaEpilogue => "Tanh";

    public override void EmitCudaForward(SourceWriter w, CudaNodeContext c) => SimpleActivation.Forward(w, c, "Tanh", "ng_tanh_forward");

    public override void EmitCudaBackward(SourceWriter w, CudaNodeContext c) => SimpleActivation.Backward(w, c, "Tanh", "ng_tanh_backward");
}

/// <summary>The launches of the activations whose backward reads only their output y.</summary>
internal static class SimpleActivation
{
    public static void Forward(SourceWriter w, CudaNodeContext c, string activation, string kernel)
    {
        if (c.Lowered.FusedIntoPrevious)
        {
            NodePlan previous = c.Plan.Nodes[c.Node.Ordinal - 1];
            w.WriteLine($"// applied by [{previous.Label}]'s {(previous.Kind == "Dense" ? "ng_sgemm" : "ng_conv2d_forward")} as it stores its output here (epilogue)");
            return;
        }

        w.WriteLine($"// {kernel}: [B×{c.Out}], one thread per value (grid-stride)");
        w.WriteLine($"_k.ActivationForward({CudaNodeContext.Activation(activation)}, {c.X}, {c.Y});");
    }

    public static void Backward(SourceWriter w, CudaNodeContext c, string activation, string kernel)
    {
        w.WriteLine($"// {kernel}: [B×{c.Out}], reads y only");
        w.WriteLine($"_k.ActivationBackward({CudaNodeContext.Activation(activation)}, dy: {c.Dy}, x: {c.Y}, y: {c.Y}, dx: {c.Dx});");
    }
}

/// <summary>LeakyReLU: ng_leaky_relu_forward / ng_leaky_relu_backward (reads x).</summary>
internal sealed partial class LeakyReLUEntry
{
    public override string? CudaUnsupportedReason(NodeContext c) => null;

    public override void EmitCudaForward(SourceWriter w, CudaNodeContext c)
    {
        w.WriteLine($"// ng_leaky_relu_forward: [B×{c.Out}], one thread per value");
        w.WriteLine($"_k.ActivationForward({CudaNodeContext.Activation("LeakyReLU")}, {c.X}, {c.Y}, {CudaNodeContext.Float(Slope(c.Args))});");
    }

    public override void EmitCudaBackward(SourceWriter w, CudaNodeContext c)
    {
        w.WriteLine($"// ng_leaky_relu_backward: [B×{c.Out}], reads x");
        w.WriteLine($"_k.ActivationBackward({CudaNodeContext.Activation("LeakyReLU")}, dy: {c.Dy}, x: {c.X}, y: {c.Y}, dx: {c.Dx}, {CudaNodeContext.Float(Slope(c.Args))});");
    }
}

/// <summary>ELU: ng_elu_forward / ng_elu_backward (reads x and y).</summary>
internal sealed partial class EluEntry
{
    public override string? CudaUnsupportedReason(NodeContext c) => null;

    public override void EmitCudaForward(SourceWriter w, CudaNodeContext c)
    {
        w.WriteLine($"// ng_elu_forward: [B×{c.Out}], one thread per value (e^x − 1 by its series near 0)");
        w.WriteLine($"_k.ActivationForward({CudaNodeContext.Activation("Elu")}, {c.X}, {c.Y}, {CudaNodeContext.Float(Alpha(c.Args))});");
    }

    public override void EmitCudaBackward(SourceWriter w, CudaNodeContext c)
    {
        w.WriteLine($"// ng_elu_backward: [B×{c.Out}], reads x and y");
        w.WriteLine($"_k.ActivationBackward({CudaNodeContext.Activation("Elu")}, dy: {c.Dy}, x: {c.X}, y: {c.Y}, dx: {c.Dx}, {CudaNodeContext.Float(Alpha(c.Args))});");
    }
}

/// <summary>PReLU with one shared slope: ng_prelu_forward / ng_prelu_backward (one block sums da; it accumulates, so the
/// gradient is cleared first). With one slope per channel (or feature): ng_channel_prelu_forward / _backward (one block
/// per channel sums da, overwritten).</summary>
internal sealed partial class PReLUEntry
{
    public override string? CudaUnsupportedReason(NodeContext c) => null;

    public override void EmitCudaForward(SourceWriter w, CudaNodeContext c)
    {
        if (Count(c.Args) != 1)
        {
            w.WriteLine($"// ng_channel_prelu_forward: [B×{LayerCatalog.I(Count(c.Args))}×{LayerCatalog.I(Inner(c.Cpu))}], one thread per value, slope a[c]");
            w.WriteLine($"_k.ChannelPReLUForward({c.X}, {c.P("weight")}, {c.Y}, {LayerCatalog.I(Count(c.Args))}, {LayerCatalog.I(Inner(c.Cpu))});");
            return;
        }

        w.WriteLine($"// ng_prelu_forward: [B×{c.Out}], the slope read from device memory");
        w.WriteLine($"_k.PReLUForward({c.X}, {c.Y}, {c.P("weight")});");
    }

    public override void EmitCudaBackward(SourceWriter w, CudaNodeContext c)
    {
        if (Count(c.Args) != 1)
        {
            w.WriteLine($"// ng_channel_prelu_backward: dx [B×{c.Out}]; da[c] by one block per channel, a fixed tree (deterministic), overwritten");
            w.WriteLine($"_k.ChannelPReLUBackward({c.Dy}, {c.X}, {c.P("weight")}, {c.Dx}, {c.G("weight")}, {LayerCatalog.I(Count(c.Args))}, {LayerCatalog.I(Inner(c.Cpu))});");
            return;
        }

        w.WriteLine($"// ng_prelu_backward: dx [B×{c.Out}]; da by one block of 256 threads, a fixed tree (deterministic), added to da: cleared first");
        w.WriteLine($"_k.Clear({c.G("weight")});");
        w.WriteLine($"_k.PReLUBackward({c.Dy}, {c.X}, {c.Dx}, {c.P("weight")}, {c.G("weight")});");
    }
}

/// <summary>Identity: a copy each way (ng_leaky_relu with slope 1, which is exact: y = x > 0 ? x : 1·x).</summary>
internal sealed partial class IdentityEntry
{
    public override string? CudaUnsupportedReason(NodeContext c) => null;

    public override void EmitCudaForward(SourceWriter w, CudaNodeContext c)
    {
        w.WriteLine($"// a copy [B×{c.Out}]: ng_leaky_relu_forward with slope 1 (exact)");
        w.WriteLine($"_k.ActivationForward({CudaNodeContext.Activation("LeakyReLU")}, {c.X}, {c.Y}, 1f);");
    }

    public override void EmitCudaBackward(SourceWriter w, CudaNodeContext c)
    {
        w.WriteLine($"// a copy [B×{c.Out}]: ng_leaky_relu_backward with slope 1 (exact)");
        w.WriteLine($"_k.ActivationBackward({CudaNodeContext.Activation("LeakyReLU")}, dy: {c.Dy}, x: {c.X}, y: {c.Y}, dx: {c.Dx}, 1f);");
    }
}

/// <summary>Dropout: ng_dropout_forward draws the mask from the same counter RNG and key as the CPU (the same masks bit for
/// bit); inference copies; backward multiplies by the mask (ng_multiply).</summary>
internal sealed partial class DropoutEntry
{
    public override string? CudaUnsupportedReason(NodeContext c) => null;

    public override void EmitCudaForward(SourceWriter w, CudaNodeContext c) => c.EmitMaskedInTraining(w,
        $"ng_dropout_forward: [B×{c.Out}], mask[i] = Uniform(key, i) ≥ p ? 1/(1 − p) : 0, the CPU's counter RNG and key",
        $"_k.DropoutForward({c.X}, {c.Y}, {c.Cache("mask")}, {LayerCatalog.F(P(c.Args))}, {c.Cpu.DropoutKey});");

    public override void EmitCudaBackward(SourceWriter w, CudaNodeContext c) => c.EmitMaskBackward(w);
}
