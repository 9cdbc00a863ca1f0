using System;

namespace NetGen;

/// <summary>
/// Declares a neural network: the class is <c>partial</c>, and its layer attributes, in source order,
/// are the layers of an <c>nn.Sequential</c>. NetGen's source generator writes the forward pass, the
/// backward pass, the optimizer step, initialisation, save/load, a summary and a gradient check.
/// </summary>
/// <example>
/// <code>
/// [Network(InputSize = 2, Loss = Loss.SoftmaxCrossEntropy, Optimizer = Optimizer.Sgd,
///          LearningRate = 1.0, WeightDecay = 1e-3, BatchSize = 300)]
/// [Dense(100), ReLU]
/// [Dense(3)]
/// public partial class SpiralNet { }
/// </code>
/// </example>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class NetworkAttribute : Attribute
{
    /// <summary>Number of input features per sample, &gt; 0: shorthand for <c>InputShape = new[] { InputSize }</c>. Set this or
    /// <see cref="InputShape"/>.</summary>
    public int InputSize { get; set; }

    /// <summary>The input's shape per sample: <c>new[] { features }</c>, or <c>new[] { C, H, W }</c> for images (NCHW, as in
    /// PyTorch), every dimension &gt; 0. Inputs are passed flattened, row-major.</summary>
    public int[]? InputShape { get; set; }

    /// <summary>The training loss. Default: softmax cross-entropy.</summary>
    public Loss Loss { get; set; } = Loss.SoftmaxCrossEntropy;

    /// <summary>The optimizer used by <c>TrainStep</c>. Default: plain SGD.</summary>
    public Optimizer Optimizer { get; set; } = Optimizer.Sgd;

    /// <summary>The initial learning rate, &gt; 0. Default 0.01; 1.0 for <see cref="Optimizer.AdaDelta"/> (PyTorch's default and the
    /// paper's method, which has no learning rate: lr only scales AdaDelta's update). The generated class's <c>LearningRate</c> property starts here and
    /// may be changed at run time (e.g. by <see cref="StepLR"/>).</summary>
    public double LearningRate { get; set; } = 0.01;

    /// <summary>Momentum μ, in [0, 1): of <see cref="Optimizer.Momentum"/> and <see cref="Optimizer.Nesterov"/> (default 0.9, the notes'
    /// typical value) and of <see cref="Optimizer.RmsProp"/> (default 0, PyTorch's RMSprop: no momentum buffer). The default
    /// depends on the optimizer when this is not written, as <see cref="Epsilon"/>'s does.</summary>
    public double Momentum { get; set; } = 0.9;

    /// <summary>Adam's and AdamW's AMSGrad variant (Reddi et al., 2018; PyTorch's <c>amsgrad</c>): the denominator uses the largest
    /// second-moment estimate so far, kept as <c>max_exp_avg_sq</c>. Default false.</summary>
    public bool Amsgrad { get; set; }

    /// <summary>The decoupled weight decay λ ≥ 0 of <see cref="Optimizer.AdamW"/> (PyTorch's AdamW <c>weight_decay</c>): before each
    /// Adam step every Dense and Conv2D weight is multiplied by 1 − lr·λ (biases, PReLU slopes and BatchNorm γ/β are not).
    /// Default 0.01, PyTorch's. Independent of <see cref="WeightDecay"/>, the L2 term of the loss.</summary>
    public double DecoupledWeightDecay { get; set; } = 0.01;

    /// <summary>RMSProp's centered variant (PyTorch's <c>centered</c>): the squared-gradient average minus the squared gradient
    /// average, an estimate of the variance, keeps <c>grad_avg</c>. Default false.</summary>
    public bool Centered { get; set; }

    /// <summary>AdaDelta's decay ρ of both running averages, in [0, 1). Default 0.9, PyTorch's.</summary>
    public double Rho { get; set; } = 0.9;

    /// <summary>Adam's and AdamW's β1, in [0, 1). Default 0.9.</summary>
    public double Beta1 { get; set; } = 0.9;

    /// <summary>Adam β2, in [0, 1). Default 0.999 (the Adam paper and PyTorch; one seed note says 0.99).</summary>
    public double Beta2 { get; set; } = 0.999;

    /// <summary>ε of Adam, AdamW, RMSProp and AdaGrad, added to the square root in the denominator as in PyTorch, and of AdaDelta,
    /// inside both square roots, &gt; 0. Default PyTorch's: 1e-8 for Adam, AdamW and RMSProp, 1e-10 for AdaGrad, 1e-6 for
    /// AdaDelta when not written.</summary>
    public double Epsilon { get; set; } = 1e-8;

    /// <summary>RMSProp's smoothing constant α (PyTorch's <c>alpha</c>; the CS231n notes' decay_rate), in [0, 1). Default 0.99.</summary>
    public double Alpha { get; set; } = 0.99;

    /// <summary>
    /// L2 regularisation strength λ ≥ 0: the gradient gains λ·w over every Dense and Conv2D weight (not biases unless a
    /// layer sets <c>RegularizeBias</c>, never PReLU slopes or BatchNorm γ/β), which is exactly PyTorch's
    /// <c>weight_decay = λ</c> of SGD and Adam on the weight parameter group; the loss that TrainStep reports gains the
    /// matching term ½·λ·Σw² (PyTorch's criterion reports the data loss alone). A <c>[Dense]</c> or <c>[Conv2D]</c> may
    /// set its own <c>WeightDecay</c>. (Decoupled decay, as AdamW's, is a different setting of that optimizer.)
    /// </summary>
    public double WeightDecay { get; set; }

    /// <summary>
    /// L1 regularisation strength λ₁ ≥ 0: the loss gains λ₁·Σ|w| over the same tensors as <see cref="WeightDecay"/>, and
    /// the gradient gains λ₁·sign(w), with sign(0) = 0 (a weight at exactly 0 is not pushed). Default 0 (off). With
    /// <see cref="WeightDecay"/> also set this is the elastic net, λ₁·Σ|w| + ½·λ₂·Σw². A <c>[Dense]</c> or <c>[Conv2D]</c>
    /// may set its own <c>L1</c>. PyTorch has no optimizer option for it: add <c>λ₁ * w.abs().sum()</c> to the loss.
    /// </summary>
    public double L1 { get; set; }

    /// <summary>
    /// Max-norm constraint c ≥ 0: after every optimizer step each unit's incoming weight vector (a row of a Dense weight,
    /// one filter [in, k, k] of a Conv2D weight) is rescaled to ‖w‖₂ ≤ c, as <c>torch.renorm(w, 2, 0, c)</c> does (w ·
    /// c/(‖w‖ + 1e-7) where ‖w‖ &gt; c). Biases are never constrained. Default 0 (off); 3 or 4 are typical. A
    /// <c>[Dense]</c> or <c>[Conv2D]</c> may set its own <c>MaxNorm</c>.
    /// </summary>
    public double MaxNorm { get; set; }

    /// <summary>
    /// Label smoothing ε of <see cref="Loss.SoftmaxCrossEntropy"/>, in [0, 1): the target of each row becomes
    /// (1 − ε)·onehot(y) + ε/C (PyTorch's <c>label_smoothing</c>; with probability targets q, (1 − ε)·q + ε/C). Default 0.
    /// </summary>
    public double LabelSmoothing { get; set; }

    /// <summary>The margin Δ of <see cref="Loss.MulticlassHinge"/>, <see cref="Loss.MulticlassSquaredHinge"/> and
    /// <see cref="Loss.BinaryHinge"/>, &gt; 0. Default 1 (with small random weights the initial hinge loss is then about
    /// (C − 1)·Δ, the squared one (C − 1)·Δ², the binary one O·Δ).</summary>
    public double Margin { get; set; } = 1.0;

    /// <summary>δ of <see cref="Loss.Huber"/>, &gt; 0: errors within δ are squared, larger ones count linearly. Default 1
    /// (PyTorch's).</summary>
    public double Delta { get; set; } = 1.0;

    /// <summary>
    /// Stochastic depth over the whole network (Huang et al., 2016), p_L in [0, 1): the drop probability of the last
    /// residual block. Block l of L (every <c>[Residual]</c> in execution order, nested ones included) drops its branch
    /// with p_l = l/L · p_L (Huang's linear decay rule), unless it writes its own
    /// <see cref="ResidualAttribute.DropProbability"/>. Default 0: no stochastic depth.
    /// </summary>
    public double StochasticDepth { get; set; }

    /// <summary>The largest batch one call accepts; the activation arena is sized for it. Default 64.</summary>
    public int BatchSize { get; set; } = 64;

    /// <summary>
    /// The number of classes C ≥ 2 of <see cref="Loss.HierarchicalSoftmax"/> (required there, NG0226): the last layer
    /// produces H features, and the loss owns the node vectors <c>hsm.weight</c> [C − 1, H] and biases <c>hsm.bias</c>
    /// [C − 1] of a binary tree over the C classes. <c>OutputSize</c> is then C (Predict returns the C probabilities).
    /// </summary>
    public int Classes { get; set; }

    /// <summary>
    /// A user-given tree for <see cref="Loss.HierarchicalSoftmax"/>, as a parent array of 2C − 1 entries: entries 0 … C − 2
    /// are the inner nodes (entry 0 is the root, parent −1), entry C − 1 + c is class c's leaf; every inner node has exactly
    /// two children, the one with the smaller entry being the left (code +1). Default: the balanced tree
    /// (<c>NetGen.Kernels.HierarchicalSoftmaxTree.Balanced</c>). An array that is not such a tree is NG0227.
    /// </summary>
    public int[]? ClassTree { get; set; }
}

/// <summary>The training loss of a network.</summary>
public enum Loss
{
    /// <summary>Softmax cross-entropy: L = −log(e^{f_y} / Σ_j e^{f_j}), computed with the maximum subtracted.</summary>
    SoftmaxCrossEntropy = 0,

    /// <summary>Multiclass SVM hinge loss (Weston–Watkins): L = Σ_{j≠y} max(0, f_j − f_y + Δ), Δ =
    /// <see cref="NetworkAttribute.Margin"/>; C · PyTorch's <c>nn.MultiMarginLoss(margin=Δ)</c>.</summary>
    MulticlassHinge = 1,

    /// <summary>Mean squared error over every output, for regression with float targets [B, OutputSize]:
    /// L = (1/(B·O)) Σ (f − t)², PyTorch's <c>nn.MSELoss()</c>.</summary>
    MeanSquaredError = 2,

    /// <summary>Squared multiclass hinge (L2-SVM): L = Σ_{j≠y} max(0, f_j − f_y + Δ)², Δ = <see cref="NetworkAttribute.Margin"/>;
    /// C · PyTorch's <c>nn.MultiMarginLoss(p=2, margin=Δ)</c>.</summary>
    MulticlassSquaredHinge = 3,

    /// <summary>L1 loss, the mean absolute error over every output, for regression with float targets [B, OutputSize]:
    /// L = (1/(B·O)) Σ |f − t|, PyTorch's <c>nn.L1Loss()</c>. The subgradient at f = t is 0.</summary>
    MeanAbsoluteError = 4,

    /// <summary>Huber loss over every output, for regression with float targets [B, OutputSize]: ½e² for |e| ≤ δ, δ(|e| − ½δ)
    /// beyond, e = f − t, δ = <see cref="NetworkAttribute.Delta"/>, averaged over B·O; PyTorch's <c>nn.HuberLoss(delta=δ)</c>
    /// (<c>nn.SmoothL1Loss()</c> for δ = 1).</summary>
    Huber = 5,

    /// <summary>Binary cross-entropy on logits, one independent yes/no per output (multi-label), targets [B, OutputSize] in
    /// [0, 1]: L = (1/(B·O)) Σ [max(f, 0) − f·t + log(1 + e^(−|f|))], PyTorch's <c>nn.BCEWithLogitsLoss()</c>.</summary>
    BinaryCrossEntropyWithLogits = 6,

    /// <summary>Binary (per-attribute) hinge, one independent yes/no per output (multi-label), targets [B, OutputSize] of 0 or
    /// 1: L = (1/B) Σ_i Σ_j max(0, Δ − y'_ij·f_ij), y' = 2t − 1 ∈ {−1, +1}, Δ = <see cref="NetworkAttribute.Margin"/> (default
    /// 1): summed over the outputs, averaged over the rows. PyTorch has no module for it (O · <c>nn.MultiLabelMarginLoss</c> is
    /// another loss); see docs/catalog.md.</summary>
    BinaryHinge = 7,

    /// <summary>Hierarchical softmax over a binary tree of <see cref="NetworkAttribute.Classes"/> classes (balanced, or
    /// <see cref="NetworkAttribute.ClassTree"/>): L = −Σ_{n ∈ path(y)} log σ(s_n·(h·v_n + b_n)), s_n = +1 to the left child and
    /// −1 to the right, h the last layer's H features, averaged over the rows. Training touches only the ⌈log₂ C⌉ nodes on the
    /// target's path; Predict returns the full distribution, PredictClasses the greedy descent. PyTorch has no module for it;
    /// see docs/catalog.md.</summary>
    HierarchicalSoftmax = 8,
}

/// <summary>The optimizer of a network. Update rules follow PyTorch's <c>torch.optim</c>.</summary>
public enum Optimizer
{
    /// <summary>p ← p − lr·g.</summary>
    Sgd = 0,

    /// <summary>v ← μ·v + g; p ← p − lr·v (PyTorch SGD with momentum, dampening 0).</summary>
    Momentum = 1,

    /// <summary>v ← μ·v + g; p ← p − lr·(g + μ·v) (PyTorch SGD with <c>nesterov=True</c>).</summary>
    Nesterov = 2,

    /// <summary>Adam with bias correction: p ← p − lr·m̂ / (√v̂ + ε).</summary>
    Adam = 3,

    /// <summary>s ← s + g²; p ← p − lr·g / (√s + ε) (PyTorch Adagrad, lr_decay 0, initial accumulator 0; ε default 1e-10).</summary>
    AdaGrad = 4,

    /// <summary>a ← α·a + (1−α)·g²; p ← p − lr·g / (√a + ε) (PyTorch RMSprop); with <see cref="NetworkAttribute.Momentum"/> &gt; 0
    /// b ← μ·b + g / (√a + ε), p ← p − lr·b; <see cref="NetworkAttribute.Centered"/> subtracts the squared running mean of g
    /// under the root.</summary>
    RmsProp = 5,

    /// <summary>Adam with decoupled weight decay (Loshchilov and Hutter, 2019; PyTorch AdamW): W ← W·(1 − lr·λ), then the Adam
    /// step; λ = <see cref="NetworkAttribute.DecoupledWeightDecay"/>.</summary>
    AdamW = 6,

    /// <summary>AdaDelta (Zeiler, 2012; PyTorch Adadelta): s ← ρ·s + (1−ρ)·g²; d ← √(u + ε)/√(s + ε)·g; u ← ρ·u + (1−ρ)·d²;
    /// p ← p − lr·d, lr default 1.</summary>
    AdaDelta = 7,
}
