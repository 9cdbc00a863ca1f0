using System;

namespace NetGen;

/// <summary>Base of every layer attribute. Layers are read in source order.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public abstract class LayerAttribute : Attribute
{
    /// <summary>Optional layer name (unique within the network) used in the summary and in error messages.</summary>
    public string? Name { get; set; }
}

/// <summary>Fully-connected layer: y = x·Wᵀ + b, W is [units, inputs] as in PyTorch's <c>nn.Linear</c>.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class DenseAttribute : LayerAttribute
{
    /// <summary>Creates a dense layer with <paramref name="units"/> outputs.</summary>
    public DenseAttribute(int units) => Units = units;

    /// <summary>Number of outputs, &gt; 0.</summary>
    public int Units { get; }

    /// <summary>Whether the layer has a bias vector. Default true.</summary>
    public bool Bias { get; set; } = true;

    /// <summary>Weight initialisation. <see cref="Init.Auto"/>: He for the ReLU family that follows, Glorot otherwise.</summary>
    public Init Init { get; set; } = Init.Auto;

    /// <summary>Constant the bias starts at. Default 0.</summary>
    public double BiasInit { get; set; }

    /// <summary>This layer's L2 strength λ ≥ 0 (gradient λ·w, loss ½·λ·Σw²), replacing the network's
    /// <see cref="NetworkAttribute.WeightDecay"/> for this layer; 0 turns it off here. Not written: the network's.</summary>
    public double WeightDecay { get; set; }

    /// <summary>This layer's L1 strength λ₁ ≥ 0 (gradient λ₁·sign(w), loss λ₁·Σ|w|), replacing the network's
    /// <see cref="NetworkAttribute.L1"/> for this layer; 0 turns it off here. Not written: the network's.</summary>
    public double L1 { get; set; }

    /// <summary>This layer's max-norm c ≥ 0 on each unit's incoming weights, replacing the network's
    /// <see cref="NetworkAttribute.MaxNorm"/>; 0 turns it off here. Not written: the network's.</summary>
    public double MaxNorm { get; set; }

    /// <summary>An explicit constraint Ω(W) = ½·‖W‖²_F ≤ k on this layer's weight (k &gt; 0; not written: none), enforced by
    /// the generalised Lagrangian J(θ) + α·(Ω(W) − k): each step adds α·W to the weight's gradient, and after the
    /// parameter step α ← max(0, α + <see cref="DualRate"/>·(Ω(W) − k)), α starting at 0. α is the buffer
    /// "&lt;layer&gt;.constraint_alpha", saved and loaded with the other buffers (Goodfellow et al., Deep Learning §7.2).</summary>
    public double NormBound { get; set; }

    /// <summary>The dual ascent rate ρ &gt; 0 of <see cref="NormBound"/>. Default 0.1.</summary>
    public double DualRate { get; set; } = 0.1;

    /// <summary>Whether the L2 and L1 terms also apply to this layer's bias. Default false: biases are not regularised
    /// (they do not multiply the data). Max-norm never applies to a bias.</summary>
    public bool RegularizeBias { get; set; }

    /// <summary>Which fan <see cref="Init.HeNormal"/>, <see cref="Init.HeUniform"/> and <see cref="Init.LeCunNormal"/>
    /// (and <see cref="Init.Auto"/> when it picks He) divide by, as PyTorch's <c>mode</c>. Default <see cref="FanMode.FanIn"/>.</summary>
    public FanMode FanMode { get; set; }

    /// <summary>The value every weight starts at with <see cref="Init.Constant"/>. Default 0.</summary>
    public double InitValue { get; set; }

    /// <summary>Non-zero incoming weights per unit with <see cref="Init.Sparse"/>, ≥ 1. Default 10 (the CS231n notes).</summary>
    public int SparseCount { get; set; } = 10;

    /// <summary>Standard deviation of the non-zero weights of <see cref="Init.Sparse"/>, &gt; 0. Default 0.01 (PyTorch's <c>sparse_</c>).</summary>
    public double SparseStd { get; set; } = 0.01;

    /// <summary>Scale of the orthogonal matrix with <see cref="Init.Orthogonal"/> (PyTorch's <c>gain</c>), &gt; 0. Default 1.</summary>
    public double InitGain { get; set; } = 1.0;
}

/// <summary>Weight initialisation schemes (n_in = fan-in, n_out = fan-out).</summary>
public enum Init
{
    /// <summary>He normal when the next activation is ReLU, LeakyReLU, PReLU or ELU; Glorot uniform otherwise.</summary>
    Auto = 0,
    /// <summary>w ~ N(0, 2/n_in) (He / Kaiming, for ReLU).</summary>
    HeNormal = 1,
    /// <summary>w ~ U[−√(6/n_in), √(6/n_in)].</summary>
    HeUniform = 2,
    /// <summary>w ~ N(0, 2/(n_in + n_out)) (Xavier / Glorot).</summary>
    GlorotNormal = 3,
    /// <summary>w ~ U[−√(6/(n_in+n_out)), √(6/(n_in+n_out))].</summary>
    GlorotUniform = 4,
    /// <summary>w ~ 0.01·N(0, 1) (the "small random numbers" of the CS231n notes).</summary>
    SmallNormal = 5,
    /// <summary>w ~ U[−1/√n_in, 1/√n_in] (PyTorch's <c>nn.Linear</c> default).</summary>
    PyTorchDefault = 6,
    /// <summary>w = 0. Every unit computes the same output and gets the same update, so units never differ (NG0306).</summary>
    Zeros = 7,
    /// <summary>w = InitValue. Same symmetry problem as <see cref="Zeros"/> (NG0306).</summary>
    Constant = 8,
    /// <summary>w ~ N(0, 1/n) with n = n_in (or n_out with <see cref="FanMode.FanOut"/>): the "calibrated" 1/√n of the
    /// CS231n notes (LeCun et al. 1998), keeping the output variance equal to the input variance.</summary>
    LeCunNormal = 9,
    /// <summary>Each unit has exactly SparseCount non-zero incoming weights ~ N(0, SparseStd²) at random inputs (Martens 2010).</summary>
    Sparse = 10,
    /// <summary>W = InitGain · Q, Q orthogonal from the QR factorisation of a Gaussian matrix (Saxe et al. 2014; PyTorch's <c>orthogonal_</c>).</summary>
    Orthogonal = 11,
}

/// <summary>The fan an initialisation divides by (PyTorch's <c>mode</c> of <c>kaiming_normal_</c>).</summary>
public enum FanMode
{
    /// <summary>n_in: keeps the variance of the activations in the forward pass.</summary>
    FanIn = 0,
    /// <summary>n_out: keeps the variance of the gradients in the backward pass.</summary>
    FanOut = 1,
}

/// <summary>ReLU: f(x) = max(0, x); f'(x) = 1(x &gt; 0).</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class ReLUAttribute : LayerAttribute { }

/// <summary>Leaky ReLU: f(x) = x if x &gt; 0 else slope·x.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class LeakyReLUAttribute : LayerAttribute
{
    /// <summary>Negative slope, ≥ 0. Default 0.01 (as PyTorch).</summary>
    public double Slope { get; set; } = 0.01;
}

/// <summary>
/// PReLU (He et al. 2015): f(x) = x if x &gt; 0 else a_c·x, with learnable slopes, PyTorch <c>nn.PReLU(num_parameters,
/// init)</c>: one slope shared by every value (<see cref="NumParameters"/> = 1), or one per channel c (the first
/// dimension of a sample: the channel of a C×H×W image, the feature of a vector), as PyTorch's dimension 1.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class PReLUAttribute : LayerAttribute
{
    /// <summary>Number of slopes: 1 (default, shared) or the channels C of the input (its first dimension) (NG0111).</summary>
    public int NumParameters { get; set; } = 1;

    /// <summary>Initial slope. Default 0.25 (as PyTorch).</summary>
    public double Init { get; set; } = 0.25;
}

/// <summary>Sigmoid: σ(x) = 1 / (1 + e^{−x}); σ'(x) = σ(x)(1 − σ(x)).</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class SigmoidAttribute : LayerAttribute { }

/// <summary>Tanh: f(x) = tanh(x); f'(x) = 1 − tanh²(x).</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class TanhAttribute : LayerAttribute { }

/// <summary>ELU: f(x) = x if x &gt; 0 else α(e^x − 1).</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class ELUAttribute : LayerAttribute
{
    /// <summary>α &gt; 0. Default 1.0 (as PyTorch).</summary>
    public double Alpha { get; set; } = 1.0;
}

/// <summary>Identity: f(x) = x (PyTorch <c>nn.Identity</c>).</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class IdentityAttribute : LayerAttribute { }

/// <summary>
/// Inverted dropout with <b>drop</b> probability <see cref="P"/>, as in PyTorch's <c>nn.Dropout(p)</c>: in training each
/// value is zeroed with probability p and the survivors are scaled by 1/(1 − p); at inference it is the identity.
/// (The CS231n notes use p as the keep probability: NetGen follows PyTorch.)
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class DropoutAttribute : LayerAttribute
{
    /// <summary>Creates a dropout layer dropping each value with probability <paramref name="p"/> ∈ [0, 1).</summary>
    public DropoutAttribute(double p) => P = p;

    /// <summary>Drop probability, in [0, 1).</summary>
    public double P { get; }
}

/// <summary>
/// 2-D convolution, PyTorch's <c>nn.Conv2d(C, outChannels, (kh, kw), stride, padding, dilation, groups, bias)</c>:
/// input [C, H, W] → output [outChannels, Ho, Wo],
/// y[o, i, j] = Σ_{c,u,v} W[o, c, u, v]·x[g·C/G + c, i·Sh − Ph + u·Dh, j·Sw − Pw + v·Dw] + b[o] with g = o/(outChannels/G),
/// Ho = ⌊(H + 2·Ph − Dh·(kh − 1) − 1)/Sh⌋ + 1 ≥ 1 (likewise Wo with Dw), where the windows must read every input row: the
/// remainder of the division may only fall in the trailing padding (NG0105).
/// Weight [outChannels, C/Groups, kh, kw], bias [outChannels].
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class Conv2DAttribute : LayerAttribute
{
    /// <summary>The <see cref="Padding"/> that keeps the size at stride 1, PyTorch's <c>padding='same'</c>:
    /// P = D·(k − 1)/2 on each axis. Needs an odd dilated kernel D·(k − 1) + 1 and stride 1 (NG0240). Its value is
    /// <see cref="int.MinValue"/>, so that a mistyped negative padding such as −1 stays an error (NG0211).</summary>
    public const int Same = int.MinValue;

    /// <summary>Creates a convolution with <paramref name="outChannels"/> filters of <paramref name="kernel"/>×<paramref name="kernel"/>.</summary>
    public Conv2DAttribute(int outChannels, int kernel)
    {
        OutChannels = outChannels;
        Kernel = kernel;
        KernelHeight = kernel;
        KernelWidth = kernel;
    }

    /// <summary>Creates a convolution with <paramref name="outChannels"/> filters of
    /// <paramref name="kernelHeight"/>×<paramref name="kernelWidth"/> (PyTorch's <c>kernel_size=(kh, kw)</c>).</summary>
    public Conv2DAttribute(int outChannels, int kernelHeight, int kernelWidth)
    {
        OutChannels = outChannels;
        KernelHeight = kernelHeight;
        KernelWidth = kernelWidth;
        Kernel = kernelHeight == kernelWidth ? kernelHeight : 0;
    }

    /// <summary>Number of filters (output channels), ≥ 1 and a multiple of <see cref="Groups"/>.</summary>
    public int OutChannels { get; }

    /// <summary>Filter height and width, ≥ 1 (0 for a rectangular filter).</summary>
    public int Kernel { get; }

    /// <summary>Filter height kh, ≥ 1.</summary>
    public int KernelHeight { get; }

    /// <summary>Filter width kw, ≥ 1.</summary>
    public int KernelWidth { get; }

    /// <summary>Step between windows on both axes, ≥ 1. Default 1.</summary>
    public int Stride { get; set; } = 1;

    /// <summary>Vertical step Sh, ≥ 1, when it differs from <see cref="Stride"/>. Default (0): <see cref="Stride"/>.</summary>
    public int StrideHeight { get; set; }

    /// <summary>Horizontal step Sw, ≥ 1, when it differs from <see cref="Stride"/>. Default (0): <see cref="Stride"/>.</summary>
    public int StrideWidth { get; set; }

    /// <summary>Zeros added on each side of both axes, ≥ 0, or <see cref="Same"/>. Default 0; (k − 1)/2 (or
    /// <see cref="Same"/>) keeps the size at stride 1.</summary>
    public int Padding { get; set; }

    /// <summary>Zero rows Ph above and below, ≥ 0, when they differ from <see cref="Padding"/>. Default (unset): <see cref="Padding"/>.</summary>
    public int PaddingHeight { get; set; }

    /// <summary>Zero columns Pw left and right, ≥ 0, when they differ from <see cref="Padding"/>. Default (unset): <see cref="Padding"/>.</summary>
    public int PaddingWidth { get; set; }

    /// <summary>Spacing D between the kernel's taps on both axes (à trous / atrous convolution), ≥ 1. Default 1; the
    /// window spans D·(k − 1) + 1 input positions.</summary>
    public int Dilation { get; set; } = 1;

    /// <summary>Vertical spacing Dh between the kernel's rows, ≥ 1, when it differs from <see cref="Dilation"/>
    /// (PyTorch's <c>dilation=(dh, dw)</c>). Default (unset): <see cref="Dilation"/>.</summary>
    public int DilationHeight { get; set; }

    /// <summary>Horizontal spacing Dw between the kernel's columns, ≥ 1, when it differs from <see cref="Dilation"/>.
    /// Default (unset): <see cref="Dilation"/>.</summary>
    public int DilationWidth { get; set; }

    /// <summary>Channel groups G, ≥ 1, dividing both the input channels and <see cref="OutChannels"/>: group g's filters
    /// see only the input channels [g·C/G, (g + 1)·C/G). Default 1; G = C is a depthwise convolution.</summary>
    public int Groups { get; set; } = 1;

    /// <summary>Whether the layer has a bias per filter. Default true.</summary>
    public bool Bias { get; set; } = true;

    /// <summary>Weight initialisation (fan-in (C/G)·kh·kw, fan-out O·kh·kw, as PyTorch). <see cref="Init.Auto"/>: He when a ReLU-family activation follows.</summary>
    public Init Init { get; set; } = Init.Auto;

    /// <summary>Constant the bias starts at. Default 0.</summary>
    public double BiasInit { get; set; }

    /// <summary>This layer's L2 strength λ ≥ 0 (gradient λ·w, loss ½·λ·Σw²), replacing the network's
    /// <see cref="NetworkAttribute.WeightDecay"/> for this layer; 0 turns it off here. Not written: the network's.</summary>
    public double WeightDecay { get; set; }

    /// <summary>This layer's L1 strength λ₁ ≥ 0 (gradient λ₁·sign(w), loss λ₁·Σ|w|), replacing the network's
    /// <see cref="NetworkAttribute.L1"/> for this layer; 0 turns it off here. Not written: the network's.</summary>
    public double L1 { get; set; }

    /// <summary>This layer's max-norm c ≥ 0 on each filter's weights [in, k, k], replacing the network's
    /// <see cref="NetworkAttribute.MaxNorm"/>; 0 turns it off here. Not written: the network's.</summary>
    public double MaxNorm { get; set; }

    /// <summary>Whether the L2 and L1 terms also apply to this layer's bias. Default false. Max-norm never applies to a bias.</summary>
    public bool RegularizeBias { get; set; }

    /// <summary>Which fan <see cref="Init.HeNormal"/>, <see cref="Init.HeUniform"/> and <see cref="Init.LeCunNormal"/>
    /// (and <see cref="Init.Auto"/> when it picks He) divide by, as PyTorch's <c>mode</c>. Default <see cref="FanMode.FanIn"/>.</summary>
    public FanMode FanMode { get; set; }

    /// <summary>The value every weight starts at with <see cref="Init.Constant"/>. Default 0.</summary>
    public double InitValue { get; set; }

    /// <summary>Non-zero incoming weights per unit with <see cref="Init.Sparse"/>, ≥ 1. Default 10 (the CS231n notes).</summary>
    public int SparseCount { get; set; } = 10;

    /// <summary>Standard deviation of the non-zero weights of <see cref="Init.Sparse"/>, &gt; 0. Default 0.01 (PyTorch's <c>sparse_</c>).</summary>
    public double SparseStd { get; set; } = 0.01;

    /// <summary>Scale of the orthogonal matrix with <see cref="Init.Orthogonal"/> (PyTorch's <c>gain</c>), &gt; 0. Default 1.</summary>
    public double InitGain { get; set; } = 1.0;
}

/// <summary>Max pooling, PyTorch's <c>nn.MaxPool2d(kernel, stride, padding)</c> (each a number or an (h, w) pair): the
/// maximum of each kh×kw window, per channel, y[c, i, j] = max_{u &lt; kh, v &lt; kw} x[c, i·Sh − Ph + u, j·Sw − Pw + v].</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class MaxPool2DAttribute : LayerAttribute
{
    /// <summary>Creates a <paramref name="kernel"/>×<paramref name="kernel"/> max pooling (stride = kernel unless set).</summary>
    public MaxPool2DAttribute(int kernel)
    {
        Kernel = kernel;
        KernelHeight = kernel;
        KernelWidth = kernel;
    }

    /// <summary>Creates a <paramref name="kernelHeight"/>×<paramref name="kernelWidth"/> max pooling (PyTorch's
    /// <c>kernel_size=(kh, kw)</c>; the stride is the kernel on each axis unless set).</summary>
    public MaxPool2DAttribute(int kernelHeight, int kernelWidth)
    {
        KernelHeight = kernelHeight;
        KernelWidth = kernelWidth;
        Kernel = kernelHeight == kernelWidth ? kernelHeight : 0;
    }

    /// <summary>Window height and width, ≥ 1 (0 for a rectangular window).</summary>
    public int Kernel { get; }

    /// <summary>Window height kh, ≥ 1.</summary>
    public int KernelHeight { get; }

    /// <summary>Window width kw, ≥ 1.</summary>
    public int KernelWidth { get; }

    /// <summary>Step between windows on both axes. Default: the kernel on each axis (windows do not overlap), as in PyTorch.</summary>
    public int Stride { get; set; }

    /// <summary>Vertical step Sh, ≥ 1, when it differs from <see cref="Stride"/>. Default (unset): <see cref="Stride"/>, else kh.</summary>
    public int StrideHeight { get; set; }

    /// <summary>Horizontal step Sw, ≥ 1, when it differs from <see cref="Stride"/>. Default (unset): <see cref="Stride"/>, else kw.</summary>
    public int StrideWidth { get; set; }

    /// <summary>Implicit −∞ padding on each side of both axes, at most half the kernel on each axis. Default 0.</summary>
    public int Padding { get; set; }

    /// <summary>−∞ rows Ph above and below, 0 to kh/2, when they differ from <see cref="Padding"/>. Default (unset): <see cref="Padding"/>.</summary>
    public int PaddingHeight { get; set; }

    /// <summary>−∞ columns Pw left and right, 0 to kw/2, when they differ from <see cref="Padding"/>. Default (unset): <see cref="Padding"/>.</summary>
    public int PaddingWidth { get; set; }
}

/// <summary>
/// Fractional max pooling (Graham, 2014), PyTorch's <c>nn.FractionalMaxPool2d(kernel, output_ratio=r)</c> or
/// <c>(kernel, output_size=n)</c>: the maximum over k×k windows whose starts are pseudo-random, overlapping, increasing
/// sequences that reduce H×W by a non-integer factor. Write exactly one of <see cref="OutputRatio"/> and
/// <see cref="OutputSize"/>. In training the windows are drawn anew for every sample, channel and step from NetGen's
/// counter-based stream keyed by (seed, layer, step), so a run is reproducible; at inference they are fixed per channel,
/// derived from the seed alone, so <c>Predict</c> is deterministic.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class FractionalMaxPool2DAttribute : LayerAttribute
{
    /// <summary>Creates a <paramref name="kernel"/>×<paramref name="kernel"/> fractional max pooling.</summary>
    public FractionalMaxPool2DAttribute(int kernel) => Kernel = kernel;

    /// <summary>Window height and width, ≥ 1 (Graham uses 2).</summary>
    public int Kernel { get; }

    /// <summary>Output size as a fraction of the input, in (0, 1): Ho = ⌊H·r⌋, Wo = ⌊W·r⌋, as PyTorch's output_ratio.
    /// Graham's α = 1/r is between 1 and 2 (e.g. r = 0.7 ≈ 1/√2).</summary>
    public double OutputRatio { get; set; }

    /// <summary>Output height and width, ≥ 1, as PyTorch's output_size. Ho + Kernel − 1 ≤ H.</summary>
    public int OutputSize { get; set; }
}

/// <summary>
/// Average pooling, PyTorch's <c>nn.AvgPool2d(kernel, stride, padding)</c> (each a number or an (h, w) pair) with
/// <c>count_include_pad=True</c> and <c>ceil_mode=False</c>:
/// y[c, i, j] = (1/(kh·kw))·Σ_{u &lt; kh, v &lt; kw} x[c, i·Sh − Ph + u, j·Sw − Pw + v], the zero padding counted in the
/// kh·kw divisor. Backward: each window's dy/(kh·kw) is added to its input elements (overlapping windows add).
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class AvgPool2DAttribute : LayerAttribute
{
    /// <summary>Creates a <paramref name="kernel"/>×<paramref name="kernel"/> average pooling (stride = kernel unless set).</summary>
    public AvgPool2DAttribute(int kernel)
    {
        Kernel = kernel;
        KernelHeight = kernel;
        KernelWidth = kernel;
    }

    /// <summary>Creates a <paramref name="kernelHeight"/>×<paramref name="kernelWidth"/> average pooling (PyTorch's
    /// <c>kernel_size=(kh, kw)</c>; the stride is the kernel on each axis unless set).</summary>
    public AvgPool2DAttribute(int kernelHeight, int kernelWidth)
    {
        KernelHeight = kernelHeight;
        KernelWidth = kernelWidth;
        Kernel = kernelHeight == kernelWidth ? kernelHeight : 0;
    }

    /// <summary>Window height and width, ≥ 1 (0 for a rectangular window).</summary>
    public int Kernel { get; }

    /// <summary>Window height kh, ≥ 1.</summary>
    public int KernelHeight { get; }

    /// <summary>Window width kw, ≥ 1.</summary>
    public int KernelWidth { get; }

    /// <summary>Step between windows on both axes. Default: the kernel on each axis (windows do not overlap), as in
    /// PyTorch. The window rule applies.</summary>
    public int Stride { get; set; }

    /// <summary>Vertical step Sh, ≥ 1, when it differs from <see cref="Stride"/>. Default (unset): <see cref="Stride"/>, else kh.</summary>
    public int StrideHeight { get; set; }

    /// <summary>Horizontal step Sw, ≥ 1, when it differs from <see cref="Stride"/>. Default (unset): <see cref="Stride"/>, else kw.</summary>
    public int StrideWidth { get; set; }

    /// <summary>Implicit zero padding on each side of both axes, at most half the kernel on each axis (PyTorch's limit);
    /// counted in the divisor. Default 0.</summary>
    public int Padding { get; set; }

    /// <summary>Zero rows Ph above and below, 0 to kh/2, when they differ from <see cref="Padding"/>. Default (unset): <see cref="Padding"/>.</summary>
    public int PaddingHeight { get; set; }

    /// <summary>Zero columns Pw left and right, 0 to kw/2, when they differ from <see cref="Padding"/>. Default (unset): <see cref="Padding"/>.</summary>
    public int PaddingWidth { get; set; }
}

/// <summary>
/// Global average pooling, PyTorch's <c>nn.AdaptiveAvgPool2d(1)</c> followed by <c>nn.Flatten()</c>: an image [C, H, W]
/// becomes the vector [C] of its channel means, y[c] = (1/(H·W))·Σ_{h,w} x[c, h, w], so a Dense can follow directly.
/// Backward: dx[c, h, w] = dy[c]/(H·W).
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class GlobalAvgPool2DAttribute : LayerAttribute { }

/// <summary>
/// Layer normalisation (Ba, Kiros and Hinton, 2016), PyTorch's <c>nn.LayerNorm(normalized_shape)</c> with
/// <c>normalized_shape</c> the last <see cref="NormalizedDims"/> dimensions of the input's per-sample shape (all of them
/// by default): over each group of the n values those dimensions span, μ = Σ x/n and σ² = Σ (x − μ)²/n (biased);
/// y = γ ⊙ (x − μ)/√(σ² + ε) + β. γ (<c>weight</c>, starts at 1) and β (<c>bias</c>, starts at 0) have the normalised
/// shape and are not weight-decayed. The same in training and inference; no buffers.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class LayerNormAttribute : LayerAttribute
{
    /// <summary>How many trailing dimensions of the per-sample shape are normalised together: PyTorch's
    /// <c>normalized_shape</c> is the input's last <c>NormalizedDims</c> dimensions. On an image [C, H, W], 1 normalises
    /// each row ([W]), 2 each channel ([H, W]), 3 the whole sample. From 1 to the input's rank (NG0211 below 1, NG0122
    /// above the rank). Default (unset): all of them, the whole sample.</summary>
    public int NormalizedDims { get; set; }

    /// <summary>ε added to the variance, &gt; 0 and finite. Default 1e-5.</summary>
    public double Epsilon { get; set; } = 1e-5;

    /// <summary>Whether γ and β are learned (PyTorch's <c>elementwise_affine</c>). Default true.</summary>
    public bool Affine { get; set; } = true;
}

/// <summary>
/// Local response normalisation across channels (Krizhevsky, Sutskever and Hinton, 2012), PyTorch's
/// <c>nn.LocalResponseNorm(size, alpha, beta, k)</c> on an image [C, H, W]: at each position,
/// y_c = x_c / (k + (α/n)·Σ_{c' = c − ⌊n/2⌋}^{c + ⌊(n − 1)/2⌋} x_{c'}²)^β with n = <see cref="Size"/> and the channels
/// outside [0, C) counted as 0. No parameters, the same in training and inference.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class LocalResponseNormAttribute : LayerAttribute
{
    /// <summary>Creates a local response normalisation over 5 neighbouring channels.</summary>
    public LocalResponseNormAttribute() { }

    /// <summary>Creates a local response normalisation over <paramref name="size"/> neighbouring channels.</summary>
    public LocalResponseNormAttribute(int size) => Size = size;

    /// <summary>n, the channels each sum covers (the channel itself included), ≥ 1. Default 5.</summary>
    public int Size { get; } = 5;

    /// <summary>α, the scale of the sum of squares (divided by n, as PyTorch), finite ≥ 0. Default 1e-4.</summary>
    public double Alpha { get; set; } = 1e-4;

    /// <summary>β, the exponent, finite ≥ 0. Default 0.75.</summary>
    public double Beta { get; set; } = 0.75;

    /// <summary>k, the additive constant, finite &gt; 0. Default 1 (AlexNet used 2).</summary>
    public double K { get; set; } = 1.0;
}

/// <summary>
/// Maxout (Goodfellow et al., 2013): the layer before produces <see cref="Pieces"/> = k values per unit and Maxout keeps
/// their maximum, y[u, …] = max_{j &lt; k} x[u·k + j, …] over the first dimension of a sample (the features of a vector,
/// the channels of a C×H×W image, at each position). So <c>[Dense(k·units), Maxout(k)]</c> is
/// f(x) = max_j (w_jᵀx + b_j) per unit, and <c>[Conv2D(k·O, …), Maxout(k)]</c> keeps O channels. PyTorch:
/// <c>x.view(B, C/k, k, …).max(dim=2).values</c> after the <c>nn.Linear</c> or <c>nn.Conv2d</c>; no parameters, so the
/// <c>state_dict</c> is that of the layers around it.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class MaxoutAttribute : LayerAttribute
{
    /// <summary>Creates a maxout over groups of <paramref name="pieces"/> consecutive values.</summary>
    public MaxoutAttribute(int pieces) => Pieces = pieces;

    /// <summary>k, the linear pieces per unit, ≥ 2, dividing the first dimension of the input (NG0112).</summary>
    public int Pieces { get; }
}

/// <summary>Flatten, PyTorch's <c>nn.Flatten()</c>: [C, H, W] becomes C·H·W features (channel-major). No copy is made.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class FlattenAttribute : LayerAttribute { }

/// <summary>
/// Batch normalisation over features, PyTorch's <c>nn.BatchNorm1d(C)</c> after a Dense layer: training normalises with the
/// batch's mean and (biased) variance and updates running statistics (unbiased variance); inference uses the running ones.
/// γ (<c>weight</c>) and β (<c>bias</c>) are learned; running_mean, running_var and num_batches_tracked are buffers.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class BatchNorm1DAttribute : LayerAttribute
{
    /// <summary>Weight of the new batch in the running statistics, in [0, 1]. Default 0.1 (PyTorch's convention).</summary>
    public double Momentum { get; set; } = 0.1;

    /// <summary>ε added to the variance, &gt; 0. Default 1e-5.</summary>
    public double Epsilon { get; set; } = 1e-5;

    /// <summary>Whether γ and β are learned. Default true.</summary>
    public bool Affine { get; set; } = true;
}

/// <summary>Batch normalisation per channel over B·H·W values, PyTorch's <c>nn.BatchNorm2d(C)</c> after a convolution
/// (see <see cref="BatchNorm1DAttribute"/> for the semantics).</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class BatchNorm2DAttribute : LayerAttribute
{
    /// <summary>Weight of the new batch in the running statistics, in [0, 1]. Default 0.1 (PyTorch's convention).</summary>
    public double Momentum { get; set; } = 0.1;

    /// <summary>ε added to the variance, &gt; 0. Default 1e-5.</summary>
    public double Epsilon { get; set; } = 1e-5;

    /// <summary>Whether γ and β are learned. Default true.</summary>
    public bool Affine { get; set; } = true;
}

/// <summary>
/// A residual connection: y = branch(x) + shortcut(x), where the branch is the layers of the <c>[Block]</c> class
/// <see cref="Block"/>. The shortcut is the identity when the branch keeps the shape; otherwise NetGen inserts a 1×1
/// convolution (no bias) with the stride that maps the input's height and width to the branch's. State-dict keys nest as
/// PyTorch modules would: <c>3.branch.0.weight</c>, <c>3.shortcut.0.weight</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class ResidualAttribute : LayerAttribute
{
    /// <summary>Creates a residual connection around the layers of <paramref name="block"/>.</summary>
    public ResidualAttribute(Type block) => Block = block;

    /// <summary>A class marked <c>[Block]</c> whose layer attributes form the branch.</summary>
    public Type Block { get; }

    /// <summary>
    /// Stochastic depth (Huang et al., 2016), the probability p in [0, 1) of dropping the residual branch of a sample
    /// during training: y = shortcut(x) + m·branch(x), with m = 0 with probability p, else 1/(1 − p), drawn once per sample
    /// and step (torchvision's <c>StochasticDepth(p, mode="row")</c>). At inference y = shortcut(x) + branch(x). When not
    /// written, the network's <see cref="NetworkAttribute.StochasticDepth"/> linear rule gives this block's p; 0 turns it off
    /// for this block.
    /// </summary>
    public double DropProbability { get; set; }
}

/// <summary>
/// Marks a class whose layer attributes form a reusable block, used by type (e.g. <c>[Residual(typeof(BasicBlock))]</c>).
/// The class needs no body and need not be partial; NetGen generates nothing for it.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class BlockAttribute : Attribute { }
