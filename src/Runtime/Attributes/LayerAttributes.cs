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

/// <summary>PReLU: f(x) = x if x &gt; 0 else a·x, with one learnable slope a (PyTorch <c>nn.PReLU()</c>).</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class PReLUAttribute : LayerAttribute
{
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
