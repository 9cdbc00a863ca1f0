using NetGen.Generator.Emitter;
using NetGen.Generator.Model;

namespace NetGen.Generator.Catalog.Layers;

// The CUDA lowering of the image layers and the normalisations (docs/cuda.md, docs/adr/0043-cuda-image-layers-and-buffers-on-the-device.md):
// one partial part per entry, as CudaMappings.cs does for the MLP layers. Each block writes the kernel and its shapes as a
// comment before the launch; the formula above it is the CPU core's. The geometry of a convolution or pooling is a static
// field of CudaCore, built once (its constructor checks it), named as the CPU core's (s_geometry0).

/// <summary>Conv2D: ng_conv2d_forward (an implicit GEMM over NCHW with groups, per-axis stride, padding and dilation, the
/// bias and a following ReLU, Sigmoid or Tanh in its epilogue); backward ng_conv2d_input_grad (a gather, no atomics),
/// ng_conv2d_weight_grad (samples in order) and ng_channel_sums for the bias.</summary>
internal sealed partial class Conv2DEntry
{
    // A residual's 1×1 projection shortcut (stride S, no padding) is an ordinary geometry for the implicit GEMM.
    public override string? CudaUnsupportedReason(NodeContext c) => null; // its regularisation settings are checked with the state

    public override bool CudaAppliesEpilogue => true;

    public override void EmitCudaFields(SourceWriter w, CudaNodeContext c)
    {
        ConvArgs a = Args(c.Args);
        EquatableArray<int> x = c.Cpu.InputShape;
        w.WriteLine($"private static readonly global::NetGen.Kernels.Conv2DGeneralGeometry {Geometry(c.Node)} = new global::NetGen.Kernels.Conv2DGeneralGeometry({I(x[0])}, {I(x[1])}, {I(x[2])}, {I(a.O)}, {I(a.Kh)}, {I(a.Kw)}, {I(a.Sh)}, {I(a.Sw)}, {I(a.Ph)}, {I(a.Pw)}, {I(a.Dh)}, {I(a.Dw)}, {I(a.G)}); // [{c.Node.Label}] {c.Node.Name}: C, H, W, O, kh, kw, stride, padding, dilation, groups");
    }

    public override void EmitCudaForward(SourceWriter w, CudaNodeContext c)
    {
        ConvArgs a = Args(c.Args);
        string epilogue = c.Lowered.Epilogue is string act ? $"{(c.HasState("bias") ? " + bias, then" : ", then")} {act} in the epilogue (the store of [{c.Plan.Nodes[c.Node.Ordinal + 1].Label}])" : c.HasState("bias") ? " + bias in the epilogue" : string.Empty;
        w.WriteLine($"// ng_conv2d_forward: y[B×{Shapes.Cross(c.Cpu.OutputShape)}] = implicit GEMM of W[{I(a.O)}×{I(c.Cpu.InputShape[0] / a.G)}·{I(a.Kh)}·{I(a.Kw)}] per group with x's windows{epilogue}; 16×16 tiles, grid ⌈B·{I(c.Cpu.OutputShape[1] * c.Cpu.OutputShape[2])}/16⌉ × {I(a.G)}·⌈{I(a.O / a.G)}/16⌉");
        string activation = CudaNodeContext.Activation(c.Lowered.Epilogue ?? "Identity");
        w.WriteLine($"_k.Conv2DForward({c.X}, {c.P("weight")}, {c.P("bias")}, {c.Y}, B, in {Geometry(c.Node)}, {activation});");
    }

    public override void EmitCudaBackward(SourceWriter w, CudaNodeContext c)
    {
        if (c.Dx is string dx)
        {
            w.WriteLine($"// ng_conv2d_input_grad: dx[B×{Shapes.Cross(c.Cpu.InputShape)}] = col2im(Wᵀ·dy) per group, one thread per input value (a gather)");
            w.WriteLine($"_k.Conv2DInputGradient({c.Dy}, {c.P("weight")}, {dx}, B, in {Geometry(c.Node)});");
        }

        w.WriteLine($"// ng_conv2d_weight_grad: dW = Σ_B dy · im2col(x)ᵀ per group, samples in order (overwritten: the gradient's one writer)");
        w.WriteLine($"_k.Conv2DWeightGradient({c.Dy}, {c.X}, {c.G("weight")}, B, in {Geometry(c.Node)});");
        if (c.HasState("bias"))
        {
            w.WriteLine($"// ng_channel_sums: db[{I(c.Cpu.OutputShape[0])}] = Σ_B,i,j dy, one block per channel (a fixed tree)");
            w.WriteLine($"_k.ChannelSums({c.Dy}, {c.G("bias")}, B, {I(c.Cpu.OutputShape[0])}, {I(c.Cpu.OutputShape[1] * c.Cpu.OutputShape[2])}, accumulate: false);");
        }
    }
}

/// <summary>Flatten: a view, as on the CPU: the output is the input's buffer and its gradient the input's gradient buffer.</summary>
internal sealed partial class FlattenEntry
{
    public override string? CudaUnsupportedReason(NodeContext c) => null;

    public override void EmitCudaForward(SourceWriter w, CudaNodeContext c) =>
        w.WriteLine($"// a view: {c.X} seen as [B×{c.Out}], no launch");

    public override void EmitCudaBackward(SourceWriter w, CudaNodeContext c) =>
        w.WriteLine("// a view: the gradient is the same buffer, no launch");
}

/// <summary>MaxPool2D: ng_maxpool2d_forward (the argmax kept in training) and ng_maxpool2d_backward (a gather over the
/// outputs that chose each input: the CPU's scatter-add bit for bit).</summary>
internal sealed partial class MaxPool2DEntry
{
    public override string? CudaUnsupportedReason(NodeContext c) => null;

    public override void EmitCudaFields(SourceWriter w, CudaNodeContext c) => CudaPool.Geometry(w, c, Args(c.Args));

    public override void EmitCudaForward(SourceWriter w, CudaNodeContext c)
    {
        w.WriteLine($"// ng_maxpool2d_forward: [B×{Shapes.Cross(c.Cpu.OutputShape)}], one thread per output; the argmax (h·W + w) kept in training");
        w.WriteLine($"_k.MaxPool2DForward({c.X}, {c.Y}, training ? {c.Cache("argmax")} : default(global::NetGen.Cuda.DeviceView<int>?), B, in {Conv2DEntry.Geometry(c.Node)});");
    }

    public override void EmitCudaBackward(SourceWriter w, CudaNodeContext c)
    {
        w.WriteLine($"// ng_maxpool2d_backward: dx[B×{Shapes.Cross(c.Cpu.InputShape)}] = Σ dy over the outputs whose argmax it is, one thread per input");
        w.WriteLine($"_k.MaxPool2DBackward({c.Dy}, {c.Cache("argmax")}, {c.Dx}, B, in {Conv2DEntry.Geometry(c.Node)});");
    }
}

/// <summary>AvgPool2D: ng_avgpool2d_forward / ng_avgpool2d_backward with the zero padding counted in the divisor
/// (count_include_pad, as the CPU).</summary>
internal sealed partial class AvgPool2DEntry
{
    public override string? CudaUnsupportedReason(NodeContext c) => null;

    public override void EmitCudaFields(SourceWriter w, CudaNodeContext c) => CudaPool.Geometry(w, c, MaxPool2DEntry.Args(c.Args));

    public override void EmitCudaForward(SourceWriter w, CudaNodeContext c)
    {
        w.WriteLine($"// ng_avgpool2d_forward: [B×{Shapes.Cross(c.Cpu.OutputShape)}], one thread per output, divisor kh·kw (count_include_pad)");
        w.WriteLine($"_k.AvgPool2DForward({c.X}, {c.Y}, B, in {Conv2DEntry.Geometry(c.Node)}, countIncludePad: true);");
    }

    public override void EmitCudaBackward(SourceWriter w, CudaNodeContext c)
    {
        w.WriteLine($"// ng_avgpool2d_backward: dx[B×{Shapes.Cross(c.Cpu.InputShape)}] = Σ dy/(kh·kw) over the windows holding each input (a gather)");
        w.WriteLine($"_k.AvgPool2DBackward({c.Dy}, {c.Dx}, B, in {Conv2DEntry.Geometry(c.Node)}, countIncludePad: true);");
    }
}

/// <summary>GlobalAvgPool2D: average pooling with the window the size of the plane, as on the CPU (ng_avgpool2d_*).</summary>
internal sealed partial class GlobalAvgPool2DEntry
{
    public override string? CudaUnsupportedReason(NodeContext c) => null;

    public override void EmitCudaFields(SourceWriter w, CudaNodeContext c)
    {
        EquatableArray<int> x = c.Cpu.InputShape;
        w.WriteLine($"private static readonly global::NetGen.Kernels.Pool2DGeometry {Conv2DEntry.Geometry(c.Node)} = new global::NetGen.Kernels.Pool2DGeometry({LayerCatalog.I(x[0])}, {LayerCatalog.I(x[1])}, {LayerCatalog.I(x[2])}, {LayerCatalog.I(x[1])}, {LayerCatalog.I(x[2])}, 1, 1, 0, 0); // [{c.Node.Label}] {c.Node.Name}: C, H, W, a window of the whole plane");
    }

    public override void EmitCudaForward(SourceWriter w, CudaNodeContext c)
    {
        w.WriteLine($"// ng_avgpool2d_forward: [B×{c.Out}], the mean of each plane, one thread per output");
        w.WriteLine($"_k.AvgPool2DForward({c.X}, {c.Y}, B, in {Conv2DEntry.Geometry(c.Node)});");
    }

    public override void EmitCudaBackward(SourceWriter w, CudaNodeContext c)
    {
        w.WriteLine($"// ng_avgpool2d_backward: dx[B×{Shapes.Cross(c.Cpu.InputShape)}] = dy[c]/(H·W)");
        w.WriteLine($"_k.AvgPool2DBackward({c.Dy}, {c.Dx}, B, in {Conv2DEntry.Geometry(c.Node)});");
    }
}

/// <summary>The pooling geometry field shared by MaxPool2D and AvgPool2D.</summary>
internal static class CudaPool
{
    public static void Geometry(SourceWriter w, CudaNodeContext c, MaxPool2DEntry.PoolArgs a)
    {
        EquatableArray<int> x = c.Cpu.InputShape;
        w.WriteLine($"private static readonly global::NetGen.Kernels.Pool2DGeometry {Conv2DEntry.Geometry(c.Node)} = new global::NetGen.Kernels.Pool2DGeometry({LayerCatalog.I(x[0])}, {LayerCatalog.I(x[1])}, {LayerCatalog.I(x[2])}, {LayerCatalog.I(a.Kh)}, {LayerCatalog.I(a.Kw)}, {LayerCatalog.I(a.Sh)}, {LayerCatalog.I(a.Sw)}, {LayerCatalog.I(a.Ph)}, {LayerCatalog.I(a.Pw)}); // [{c.Node.Label}] {c.Node.Name}: C, H, W, kh, kw, stride, padding");
    }
}

/// <summary>BatchNorm1D/2D: ng_batchnorm_forward_training (μ, σ² per channel in double, one block each; the running
/// statistics updated in place on the device), ng_batchnorm_forward_inference, ng_batchnorm_backward. The running
/// statistics are device buffers that follow the host mirror; num_batches_tracked is counted on the host.</summary>
internal abstract partial class BatchNormEntry
{
    public override string? CudaUnsupportedReason(NodeContext c) => null;

    public override void EmitCudaForward(SourceWriter w, CudaNodeContext c)
    {
        (double momentum, double epsilon, _) = Args(c.Args);
        string dims = $"B, {LayerCatalog.I(c.Cpu.InputShape[0])}, {LayerCatalog.I(Spatial(c.Cpu))}";
        w.WriteLine("if (training)");
        w.OpenBrace();
        w.WriteLine($"// ng_batchnorm_forward_training: one block per channel over its B·{LayerCatalog.I(Spatial(c.Cpu))} values; caches μ and 1/√(σ² + ε); running stats moved in place");
        w.WriteLine($"_k.BatchNormForwardTraining({c.X}, {c.P("weight")}, {c.P("bias")}, {c.Y}, {c.Cache("mean")}, {c.Cache("inv_std")}, {c.Buf("running_mean")}, {c.Buf("running_var")}, {dims}, {CudaNodeContext.Float(momentum)}, {CudaNodeContext.Float(epsilon)});");
        w.WriteLine($"{c.Counter("num_batches_tracked")}++; // on the host");
        w.CloseBrace();
        w.WriteLine("else");
        w.OpenBrace();
        w.WriteLine("// ng_batchnorm_forward_inference: the running statistics");
        w.WriteLine($"_k.BatchNormForwardInference({c.X}, {c.P("weight")}, {c.P("bias")}, {c.Buf("running_mean")}, {c.Buf("running_var")}, {c.Y}, {dims}, {CudaNodeContext.Float(epsilon)});");
        w.CloseBrace();
    }

    public override void EmitCudaBackward(SourceWriter w, CudaNodeContext c)
    {
        string dgamma = c.HasState("weight") ? c.G("weight") : "null", dbeta = c.HasState("bias") ? c.G("bias") : "null";
        w.WriteLine("// ng_batchnorm_backward: one block per channel, the sums in double");
        w.WriteLine($"_k.BatchNormBackward({c.Dy}, {c.X}, {c.P("weight")}, {c.Cache("mean")}, {c.Cache("inv_std")}, {c.Dx ?? c.Dy}, {dgamma}, {dbeta}, B, {LayerCatalog.I(c.Cpu.InputShape[0])}, {LayerCatalog.I(Spatial(c.Cpu))});");
    }
}

/// <summary>LayerNorm: ng_layernorm_forward (statistics per row in double, μ and 1/σ cached in training) and
/// ng_layernorm_param_grad + ng_layernorm_input_grad; over the last dimensions (NormalizedDims) the rows are B·groups
/// rows of the normalised shape, as on the CPU.</summary>
internal sealed partial class LayerNormEntry
{
    public override string? CudaUnsupportedReason(NodeContext c) => null;

    public override void EmitCudaForward(SourceWriter w, CudaNodeContext c)
    {
        string n = LayerCatalog.I(Normalized(c.Cpu));
        w.WriteLine($"// ng_layernorm_forward: one block per row of {n} values ({Rows(c.Cpu)} rows); μ and 1/√(σ² + ε) kept in training");
        w.WriteLine($"_k.LayerNormForward({c.X}, {c.P("weight")}, {c.P("bias")}, {c.Y}, training ? {c.Cache("mean")} : default(global::NetGen.Cuda.DeviceView<float>?), training ? {c.Cache("inv_std")} : default(global::NetGen.Cuda.DeviceView<float>?), {Rows(c.Cpu)}, {n}, {CudaNodeContext.Float(Args(c.Args).Epsilon)});");
    }

    public override void EmitCudaBackward(SourceWriter w, CudaNodeContext c)
    {
        string dgamma = c.HasState("weight") ? c.G("weight") : "null", dbeta = c.HasState("bias") ? c.G("bias") : "null";
        w.WriteLine("// ng_layernorm_param_grad (one thread per feature, rows in order), then ng_layernorm_input_grad (one block per row)");
        w.WriteLine($"_k.LayerNormBackward({c.Dy}, {c.X}, {c.P("weight")}, {c.Cache("mean")}, {c.Cache("inv_std")}, {c.Dx ?? c.Dy}, {dgamma}, {dbeta}, {Rows(c.Cpu)}, {LayerCatalog.I(Normalized(c.Cpu))});");
    }
}

/// <summary>LocalResponseNorm: ng_lrn_forward / ng_lrn_backward (the sum recomputed from x, nothing cached).</summary>
internal sealed partial class LocalResponseNormEntry
{
    public override string? CudaUnsupportedReason(NodeContext c) => null;

    public override void EmitCudaForward(SourceWriter w, CudaNodeContext c)
    {
        (int size, double alpha, double beta, double k) = Args(c.Args);
        w.WriteLine($"// ng_lrn_forward: [B×{Shapes.Cross(c.Cpu.InputShape)}], one thread per value, a window of {LayerCatalog.I(size)} channels");
        w.WriteLine($"_k.LocalResponseNormForward({c.X}, {c.Y}, B, {LayerCatalog.I(c.Cpu.InputShape[0])}, {LayerCatalog.I(c.Cpu.InputShape[1] * c.Cpu.InputShape[2])}, {LayerCatalog.I(size)}, {CudaNodeContext.Float(alpha)}, {CudaNodeContext.Float(beta)}, {CudaNodeContext.Float(k)});");
    }

    public override void EmitCudaBackward(SourceWriter w, CudaNodeContext c)
    {
        (int size, double alpha, double beta, double k) = Args(c.Args);
        w.WriteLine($"// ng_lrn_backward: dx[B×{Shapes.Cross(c.Cpu.InputShape)}], one thread per value");
        w.WriteLine($"_k.LocalResponseNormBackward({c.Dy}, {c.X}, {c.Dx}, B, {LayerCatalog.I(c.Cpu.InputShape[0])}, {LayerCatalog.I(c.Cpu.InputShape[1] * c.Cpu.InputShape[2])}, {LayerCatalog.I(size)}, {CudaNodeContext.Float(alpha)}, {CudaNodeContext.Float(beta)}, {CudaNodeContext.Float(k)});");
    }
}

/// <summary>Dropout2D: ng_row_dropout_forward draws one mask value per (sample, channel) from the CPU's counter RNG and key
/// (the same masks bit for bit); inference copies; backward ng_row_scale.</summary>
internal sealed partial class Dropout2DEntry
{
    public override string? CudaUnsupportedReason(NodeContext c) => null;

    public override void EmitCudaForward(SourceWriter w, CudaNodeContext c) => c.EmitMaskedInTraining(w,
        $"ng_row_dropout_forward: mask[b·C + c] = Uniform(key, b·C + c) ≥ p ? 1/(1 − p) : 0 over planes of {LayerCatalog.I(Plane(c.Cpu))}, the CPU's counter RNG and key",
        $"_k.RowDropoutForward({c.X}, {c.Y}, {c.Cache("mask")}, {LayerCatalog.I(Plane(c.Cpu))}, {LayerCatalog.F(P(c.Args))}, {c.Cpu.DropoutKey});");

    public override void EmitCudaBackward(SourceWriter w, CudaNodeContext c)
    {
        w.WriteLine($"// ng_row_scale: dx[B×{c.Out}] = dy · mask[plane]");
        w.WriteLine($"_k.RowDropoutBackward({c.Dy}, {c.Cache("mask")}, {c.Dx}, {LayerCatalog.I(Plane(c.Cpu))});");
    }
}

/// <summary>Maxout over groups of k consecutive channels or features: ng_maxout_forward / ng_maxout_backward (the
/// maximum found again from x, the first on a tie, as the CPU).</summary>
internal sealed partial class MaxoutEntry
{
    public override string? CudaUnsupportedReason(NodeContext c) => null;

    public override void EmitCudaForward(SourceWriter w, CudaNodeContext c)
    {
        w.WriteLine($"// ng_maxout_forward: y[B×{Shapes.Cross(c.Cpu.OutputShape)}] = max of {LayerCatalog.I(Pieces(c.Args))} pieces, one thread per output");
        w.WriteLine($"_k.MaxoutForward({c.X}, {c.Y}, {LayerCatalog.I(Pieces(c.Args))}, {LayerCatalog.I(Inner(c.Cpu))});");
    }

    public override void EmitCudaBackward(SourceWriter w, CudaNodeContext c)
    {
        w.WriteLine($"// ng_maxout_backward: dx[B×{Shapes.Cross(c.Cpu.InputShape)}] = dy at each group's first maximum, 0 elsewhere");
        w.WriteLine($"_k.MaxoutBackward({c.Dy}, {c.X}, {c.Dx}, {LayerCatalog.I(Pieces(c.Args))}, {LayerCatalog.I(Inner(c.Cpu))});");
    }
}
