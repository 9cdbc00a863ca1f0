using System;

namespace NetGen;

/// <summary>
/// Vanilla dropout (Srivastava et al. 2014), <b>drop</b> probability <see cref="P"/>: in training each value is zeroed
/// with probability p and the survivors are <b>not</b> scaled; at inference every value is scaled by the keep probability
/// 1 − p, so the expected output is the same. PyTorch has no such module (its <c>nn.Dropout</c> is inverted dropout,
/// <see cref="DropoutAttribute"/>); the CS231n notes advise the inverted form, which leaves inference untouched.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class VanillaDropoutAttribute : LayerAttribute
{
    /// <summary>Creates a vanilla dropout layer dropping each value with probability <paramref name="p"/> ∈ [0, 1).</summary>
    public VanillaDropoutAttribute(double p) => P = p;

    /// <summary>Drop probability, in [0, 1).</summary>
    public double P { get; }
}

/// <summary>
/// Gaussian dropout (Srivastava et al. 2014, §10): in training each value is multiplied by m ~ N(1, p/(1 − p)), noise
/// with the mean and variance of inverted dropout's mask at drop probability <see cref="P"/>; at inference the identity.
/// PyTorch has no such module (Keras' <c>GaussianDropout(rate)</c> is the same).
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class GaussianDropoutAttribute : LayerAttribute
{
    /// <summary>Creates a Gaussian dropout layer with noise variance <paramref name="p"/>/(1 − <paramref name="p"/>), p ∈ [0, 1).</summary>
    public GaussianDropoutAttribute(double p) => P = p;

    /// <summary>The drop rate whose variance the noise matches, in [0, 1).</summary>
    public double P { get; }
}

/// <summary>
/// Channel dropout, PyTorch's <c>nn.Dropout2d(p)</c>: in training each channel of each sample is zeroed as a whole with
/// probability <see cref="P"/> and the kept channels are scaled by 1/(1 − p); at inference the identity. Takes an image
/// [C, H, W]. Neighbouring pixels of a feature map are strongly correlated, so dropping single values barely regularises a
/// convolution (Tompson et al. 2015).
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class Dropout2DAttribute : LayerAttribute
{
    /// <summary>Creates a channel dropout layer dropping each channel with probability <paramref name="p"/> ∈ [0, 1).</summary>
    public Dropout2DAttribute(double p) => P = p;

    /// <summary>Drop probability of a channel, in [0, 1).</summary>
    public double P { get; }
}

/// <summary>
/// Standout (Ba and Frey 2013, "Adaptive dropout for training deep neural networks"): dropout whose keep probability
/// depends on the unit, computed by a standout network that shares the layer's weights. Place it right after a
/// <see cref="DenseAttribute"/> or <see cref="Conv2DAttribute"/> and before its activation, so that its input is the
/// pre-activation z = W·x + b: in training y = z ⊙ m with m_i ~ Bernoulli(π_i), π_i = σ(<see cref="Alpha"/>·z_i +
/// <see cref="Beta"/>); at inference y = z ⊙ π. With an activation f(0) = 0 after it (ReLU, Tanh, …) the training output
/// is f(z) ⊙ m, the paper's; with a ReLU-family activation the inference output is f(z) ⊙ π, the paper's too. PyTorch has
/// no such module.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class StandoutAttribute : LayerAttribute
{
    /// <summary>Scale α of the pre-activation in the keep probability σ(α·z + β), finite. Default 1.</summary>
    public double Alpha { get; set; } = 1.0;

    /// <summary>Offset β of the keep probability's logit, finite. Default 0.</summary>
    public double Beta { get; set; }
}

/// <summary>
/// A fully connected layer with DropConnect (Wan et al. 2013): <see cref="DenseAttribute"/>'s y = x·Wᵀ + b and its
/// parameters (state_dict keys N.weight, N.bias as <c>nn.Linear</c>), but in training every sample draws its own mask
/// over the <b>weights</b>: each weight is dropped with probability <see cref="P"/> and the kept ones are scaled by
/// 1/(1 − p), y_b = (W ⊙ M_b)·x_b + b. At inference the layer is the plain Dense, or with <see cref="Inference"/> =
/// <see cref="DropConnectInference.MomentMatching"/> Wan et al.'s sampled Gaussian average fused with the next [ReLU]. The per-sample masks cost
/// batch·units·inputs random draws per pass and rule out the GEMM, so it is much slower than [Dense]; they are recomputed
/// in the backward pass, not stored.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class DropConnectAttribute : LayerAttribute
{
    /// <summary>Creates a DropConnect layer with <paramref name="units"/> outputs dropping each weight with probability <paramref name="p"/>.</summary>
    public DropConnectAttribute(int units, double p)
    {
        Units = units;
        P = p;
    }

    /// <summary>Number of outputs, &gt; 0.</summary>
    public int Units { get; }

    /// <summary>Probability of dropping a weight, in [0, 1).</summary>
    public double P { get; }

    /// <summary>Whether the layer has a bias vector (never dropped). Default true.</summary>
    public bool Bias { get; set; } = true;

    /// <summary>How <c>Predict</c> evaluates the layer: <see cref="DropConnectInference.Mean"/> (default, the plain Dense)
    /// or <see cref="DropConnectInference.MomentMatching"/> (Wan et al.'s Gaussian moment matching, which needs a
    /// [ReLU] right after the layer, NG0230). Training is the same either way.</summary>
    public DropConnectInference Inference { get; set; } = DropConnectInference.Mean;

    /// <summary>Number Z of Gaussian samples per unit averaged by <see cref="DropConnectInference.MomentMatching"/>,
    /// &gt;= 1 (NG0231). Default 1000, as Wan et al.</summary>
    public int Samples { get; set; } = 1000;

    /// <summary>Weight initialisation, as <see cref="DenseAttribute.Init"/>.</summary>
    public Init Init { get; set; } = Init.Auto;

    /// <summary>Constant the bias starts at. Default 0.</summary>
    public double BiasInit { get; set; }

    /// <summary>As <see cref="DenseAttribute.FanMode"/>.</summary>
    public FanMode FanMode { get; set; }

    /// <summary>As <see cref="DenseAttribute.InitValue"/>.</summary>
    public double InitValue { get; set; }

    /// <summary>As <see cref="DenseAttribute.SparseCount"/>.</summary>
    public int SparseCount { get; set; } = 10;

    /// <summary>As <see cref="DenseAttribute.SparseStd"/>.</summary>
    public double SparseStd { get; set; } = 0.01;

    /// <summary>As <see cref="DenseAttribute.InitGain"/>.</summary>
    public double InitGain { get; set; } = 1.0;
}

/// <summary>How <see cref="DropConnectAttribute"/> is evaluated at inference.</summary>
public enum DropConnectInference
{
    /// <summary>The mean network: y = x·Wᵀ + b (E[M] = 1 with the inverted 1/(1 − p) scaling).</summary>
    Mean = 0,

    /// <summary>Wan et al. (2013): each pre-activation u is approximated by a Gaussian N(μ, σ²) with μ = W·x + b and
    /// σ² = p/(1 − p)·(W ⊙ W)·(x ⊙ x), and the following ReLU is replaced by the average of ReLU(u_z) over Z samples.</summary>
    MomentMatching = 1,
}
