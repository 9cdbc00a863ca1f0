namespace NetGen.Generator.Catalog.Layers;

// How each built-in layer kind becomes ONNX nodes in ExportOnnx's inference graph (opset 17, evaluation mode). One
// partial part per entry, so that a kind's mapping sits beside its name here and the entry files stay as they were;
// docs/internals.md ("Export to ONNX") has the same list as a table. A new kind writes its EmitOnnx in its own file.

/// <summary>Dense: Gemm(x [B, I], W [O, I], b [O], transB = 1) = x·Wᵀ + b, the nn.Linear layout as it is.</summary>
internal sealed partial class DenseEntry
{
    public override bool EmitOnnx(OnnxContext c)
    {
        string w = c.State("weight");
        string[] inputs = c.Node.HasState("bias") ? new[] { c.Input(), w, c.State("bias") } : new[] { c.Input(), w };
        c.Op("Gemm", inputs, OnnxContext.Int("transB", 1));
        return true;
    }
}

/// <summary>ReLU: Relu.</summary>
internal sealed partial class ReLUEntry
{
    public override bool EmitOnnx(OnnxContext c)
    {
        c.Op("Relu", new[] { c.Input() });
        return true;
    }
}

/// <summary>Sigmoid: Sigmoid.</summary>
internal sealed partial class SigmoidEntry
{
    public override bool EmitOnnx(OnnxContext c)
    {
        c.Op("Sigmoid", new[] { c.Input() });
        return true;
    }
}

/// <summary>Tanh: Tanh.</summary>
internal sealed partial class TanhEntry
{
    public override bool EmitOnnx(OnnxContext c)
    {
        c.Op("Tanh", new[] { c.Input() });
        return true;
    }
}

/// <summary>LeakyReLU: LeakyRelu(alpha = Slope).</summary>
internal sealed partial class LeakyReLUEntry
{
    public override bool EmitOnnx(OnnxContext c)
    {
        c.Op("LeakyRelu", new[] { c.Input() }, OnnxContext.Float("alpha", Slope(c.Args)));
        return true;
    }
}

/// <summary>ELU: Elu(alpha = Alpha).</summary>
internal sealed partial class EluEntry
{
    public override bool EmitOnnx(OnnxContext c)
    {
        c.Op("Elu", new[] { c.Input() }, OnnxContext.Float("alpha", Alpha(c.Args)));
        return true;
    }
}

/// <summary>PReLU: PRelu(x, slope). ONNX broadcasts the slope from the last axis, PyTorch along dimension 1, so C
/// per-channel slopes of a C×H×W input are written with the shape [C, 1, 1] (initializer "N.weight_Cx1x1"); a vector
/// input or a single slope keeps "N.weight" as it is.</summary>
internal sealed partial class PReLUEntry
{
    public override bool EmitOnnx(OnnxContext c)
    {
        int count = Count(c.Args);
        string slope = count > 1 && c.Node.InputShape.Count == 3 ? c.State("weight", new long[] { count, 1, 1 }) : c.State("weight");
        c.Op("PRelu", new[] { c.Input(), slope });
        return true;
    }
}

/// <summary>Identity: Identity.</summary>
internal sealed partial class IdentityEntry
{
    public override bool EmitOnnx(OnnxContext c)
    {
        c.Op("Identity", new[] { c.Input() });
        return true;
    }
}

/// <summary>Dropout: Identity (inference: nothing is dropped and, with inverted dropout, nothing is rescaled).</summary>
internal sealed partial class DropoutEntry
{
    public override bool EmitOnnx(OnnxContext c)
    {
        c.Op("Identity", new[] { c.Input() });
        return true;
    }
}

/// <summary>Stochastic depth: Identity (inference keeps every branch, unscaled: the training forward divides by 1 − p).</summary>
internal sealed partial class StochasticDepthEntry
{
    public override bool EmitOnnx(OnnxContext c)
    {
        c.Op("Identity", new[] { c.Input() });
        return true;
    }
}

/// <summary>Conv2D: Conv(x, W [O, C/G, kh, kw], b [O]) with kernel_shape, strides, pads (symmetric: [Ph, Pw, Ph, Pw]),
/// dilations and group as the entry resolves them ('same' already turned into its padding).</summary>
internal sealed partial class Conv2DEntry
{
    public override bool EmitOnnx(OnnxContext c)
    {
        ConvArgs a = Args(c.Args);
        string w = c.State("weight");
        string[] inputs = c.Node.HasState("bias") ? new[] { c.Input(), w, c.State("bias") } : new[] { c.Input(), w };
        c.Op("Conv", inputs,
            OnnxContext.Ints("kernel_shape", a.Kh, a.Kw),
            OnnxContext.Ints("strides", a.Sh, a.Sw),
            OnnxContext.Ints("pads", a.Ph, a.Pw, a.Ph, a.Pw),
            OnnxContext.Ints("dilations", a.Dh, a.Dw),
            OnnxContext.Int("group", a.G));
        return true;
    }
}

/// <summary>MaxPool2D: MaxPool(kernel_shape, strides, pads), floor mode (padding never wins a max, as in PyTorch).</summary>
internal sealed partial class MaxPool2DEntry
{
    public override bool EmitOnnx(OnnxContext c)
    {
        PoolArgs w = Args(c.Args);
        c.Op("MaxPool", new[] { c.Input() }, OnnxContext.Ints("kernel_shape", w.Kh, w.Kw), OnnxContext.Ints("strides", w.Sh, w.Sw), OnnxContext.Ints("pads", w.Ph, w.Pw, w.Ph, w.Pw));
        return true;
    }
}

/// <summary>AvgPool2D: AveragePool(kernel_shape, strides, pads, count_include_pad = 1): zero padding counted in the
/// divisor, PyTorch's default.</summary>
internal sealed partial class AvgPool2DEntry
{
    public override bool EmitOnnx(OnnxContext c)
    {
        MaxPool2DEntry.PoolArgs w = MaxPool2DEntry.Args(c.Args);
        c.Op("AveragePool", new[] { c.Input() }, OnnxContext.Ints("kernel_shape", w.Kh, w.Kw), OnnxContext.Ints("strides", w.Sh, w.Sw), OnnxContext.Ints("pads", w.Ph, w.Pw, w.Ph, w.Pw), OnnxContext.Int("count_include_pad", 1));
        return true;
    }
}

/// <summary>GlobalAvgPool2D: GlobalAveragePool ([B, C, 1, 1]) then Flatten(axis = 1) to [B, C].</summary>
internal sealed partial class GlobalAvgPool2DEntry
{
    public override bool EmitOnnx(OnnxContext c)
    {
        string pooled = c.Intermediate("GlobalAveragePool", new[] { c.Input() });
        c.Op("Flatten", new[] { pooled }, OnnxContext.Int("axis", 1));
        return true;
    }
}

/// <summary>Flatten: Flatten(axis = 1).</summary>
internal sealed partial class FlattenEntry
{
    public override bool EmitOnnx(OnnxContext c)
    {
        c.Op("Flatten", new[] { c.Input() }, OnnxContext.Int("axis", 1));
        return true;
    }
}

/// <summary>BatchNorm1D/2D: BatchNormalization(x, γ, β, running_mean, running_var, epsilon) in inference mode (the
/// running statistics). Without affine parameters γ = 1 and β = 0 are written as constants "N.onnx_scale", "N.onnx_bias".</summary>
internal abstract partial class BatchNormEntry
{
    public override bool EmitOnnx(OnnxContext c)
    {
        long channels = c.Node.InputShape[0];
        string scale = c.Node.HasState("weight") ? c.State("weight") : c.Constant("onnx_scale", new[] { channels }, 1);
        string bias = c.Node.HasState("bias") ? c.State("bias") : c.Constant("onnx_bias", new[] { channels }, 0);
        c.Op("BatchNormalization", new[] { c.Input(), scale, bias, c.State("running_mean"), c.State("running_var") }, OnnxContext.Float("epsilon", Args(c.Args).Epsilon));
        return true;
    }
}

/// <summary>LayerNorm: LayerNormalization(x, γ, β, axis, epsilon) (opset 17) over the dimensions from axis on: axis = 1
/// over every value of a sample, 1 + rank − NormalizedDims over the last NormalizedDims (e.g. 2 for [C, H, W] normalised
/// per channel over [H, W]). Without affine parameters γ = 1 is written as the constant "N.onnx_scale" of the normalised
/// shape and β is omitted.</summary>
internal sealed partial class LayerNormEntry
{
    public override bool EmitOnnx(OnnxContext c)
    {
        (double epsilon, bool affine) = Args(c.Args);
        int[] normalized = NormalizedShape(c.Args, c.Node.InputShape);
        string[] inputs = affine
            ? new[] { c.Input(), c.State("weight"), c.State("bias") }
            : new[] { c.Input(), c.Constant("onnx_scale", System.Array.ConvertAll(normalized, d => (long)d), 1) };
        c.Op("LayerNormalization", inputs, OnnxContext.Int("axis", 1 + c.Node.InputShape.Count - normalized.Length), OnnxContext.Float("epsilon", epsilon));
        return true;
    }
}

/// <summary>Residual: Add(branch output, shortcut) — the shortcut being the input or the projection's Conv, both
/// mapped as the nodes they are.</summary>
internal sealed partial class ResidualEntry
{
    public override bool EmitOnnx(OnnxContext c)
    {
        c.Op("Add", new[] { c.Input(0), c.Input(1) });
        return true;
    }
}

/// <summary>FractionalMaxPool2D: no mapping, ONNX has no fractional max-pooling operator.</summary>
internal sealed partial class FractionalMaxPool2DEntry
{
    public override string OnnxUnsupportedReason =>
        "ONNX has no fractional max-pooling operator; declare MaxPool2D in its place to export the network";
}

/// <summary>VanillaDropout: Mul(x, 1 − p) (inference scales by the keep probability, the mask's mean; the scalar
/// constant "N.onnx_keep").</summary>
internal sealed partial class VanillaDropoutEntry
{
    public override bool EmitOnnx(OnnxContext c)
    {
        c.Op("Mul", new[] { c.Input(), c.Constant("onnx_keep", System.Array.Empty<long>(), 1 - P(c.Args)) });
        return true;
    }
}

/// <summary>GaussianDropout: Identity (the noise has mean 1 and is not drawn at inference).</summary>
internal sealed partial class GaussianDropoutEntry
{
    public override bool EmitOnnx(OnnxContext c)
    {
        c.Op("Identity", new[] { c.Input() });
        return true;
    }
}

/// <summary>Dropout2D: Identity (inverted channel dropout: nothing dropped or rescaled at inference).</summary>
internal sealed partial class Dropout2DEntry
{
    public override bool EmitOnnx(OnnxContext c)
    {
        c.Op("Identity", new[] { c.Input() });
        return true;
    }
}

/// <summary>Standout: y = z ⊙ σ(α·z + β) as Mul(z, α) → Add(β) → Sigmoid → Mul(z, ·), α and β the scalar constants
/// "N.onnx_alpha", "N.onnx_beta" (inference scales by the keep probability instead of sampling the mask).</summary>
internal sealed partial class StandoutEntry
{
    public override bool EmitOnnx(OnnxContext c)
    {
        (double alpha, double beta) = AB(c.Args);
        string scaled = c.Intermediate("Mul", new[] { c.Input(), c.Constant("onnx_alpha", System.Array.Empty<long>(), alpha) });
        string shifted = c.Intermediate("Add", new[] { scaled, c.Constant("onnx_beta", System.Array.Empty<long>(), beta) });
        string keep = c.Intermediate("Sigmoid", new[] { shifted });
        c.Op("Mul", new[] { c.Input(), keep });
        return true;
    }
}

/// <summary>DropConnect: Gemm(x, W, b, transB = 1), the plain Dense it is at inference (the masks are mean-one).</summary>
internal sealed partial class DropConnectEntry
{
    public override bool EmitOnnx(OnnxContext c)
    {
        string w = c.State("weight");
        string[] inputs = c.Node.HasState("bias") ? new[] { c.Input(), w, c.State("bias") } : new[] { c.Input(), w };
        c.Op("Gemm", inputs, OnnxContext.Int("transB", 1));
        return true;
    }
}

/// <summary>Maxout(k): Reshape [B, U·k, …] → [B, U, k, …] (shape "N.onnx_shape", 0 copying the batch) then
/// ReduceMax(axes = [2], keepdims = 0) → [B, U, …], as x.view(B, U, k, …).max(2). Opset 17 takes the axes as an
/// attribute (an input from opset 18).</summary>
internal sealed partial class MaxoutEntry
{
    public override bool EmitOnnx(OnnxContext c)
    {
        var shape = new System.Collections.Generic.List<long> { 0, c.Node.OutputShape[0], Pieces(c.Args) };
        for (int i = 1; i < c.Node.InputShape.Count; i++)
        {
            shape.Add(c.Node.InputShape[i]);
        }

        string grouped = c.Intermediate("Reshape", new[] { c.Input(), c.Int64s("onnx_shape", shape.ToArray()) });
        c.Op("ReduceMax", new[] { grouped }, OnnxContext.Ints("axes", 2), OnnxContext.Int("keepdims", 0));
        return true;
    }
}

/// <summary>LocalResponseNorm(n, α, β, k): for an odd n, LRN(size = n, alpha = α, beta = β, bias = k); ONNX divides α
/// by n as PyTorch does, and its window c − ⌊(n − 1)/2⌋ … c + ⌈(n − 1)/2⌉ is PyTorch's when n is odd. For an even n the
/// windows differ (PyTorch's reaches one channel further back), so the layer is composed as PyTorch computes it:
/// Mul(x, x) → Pad the channels with ⌊n/2⌋ zeros before and ⌊(n − 1)/2⌋ after → Unsqueeze(1) → AveragePool(kernel
/// [n, 1, 1]) → Squeeze(1) = (1/n)·Σ x² → s = k + α·that → y = x / Pow(s, β).</summary>
internal sealed partial class LocalResponseNormEntry
{
    public override bool EmitOnnx(OnnxContext c)
    {
        (int size, double alpha, double beta, double k) = Args(c.Args);
        if (size % 2 == 1)
        {
            c.Op("LRN", new[] { c.Input() }, OnnxContext.Float("alpha", alpha), OnnxContext.Float("beta", beta), OnnxContext.Float("bias", k), OnnxContext.Int("size", size));
            return true;
        }

        long[] none = System.Array.Empty<long>();
        string squares = c.Intermediate("Mul", new[] { c.Input(), c.Input() });
        string padded = c.Intermediate("Pad", new[] { squares, c.Int64s("onnx_pads", 0, size / 2, 0, 0, 0, (size - 1) / 2, 0, 0) });
        string axis = c.Int64s("onnx_axes", 1);
        string volume = c.Intermediate("Unsqueeze", new[] { padded, axis });
        string mean = c.Intermediate("AveragePool", new[] { volume }, OnnxContext.Ints("kernel_shape", size, 1, 1));
        string window = c.Intermediate("Squeeze", new[] { mean, axis });
        string scaled = c.Intermediate("Mul", new[] { window, c.Constant("onnx_alpha", none, alpha) });
        string s = c.Intermediate("Add", new[] { scaled, c.Constant("onnx_k", none, k) });
        string power = c.Intermediate("Pow", new[] { s, c.Constant("onnx_beta", none, beta) });
        c.Op("Div", new[] { c.Input(), power });
        return true;
    }
}
