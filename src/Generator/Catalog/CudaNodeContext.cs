using NetGen.Generator.Emitter;
using NetGen.Generator.Lowering;
using NetGen.Generator.Model;
using NetGen.Generator.Planner;

namespace NetGen.Generator.Catalog;

/// <summary>
/// What an entry needs to emit one node's CUDA launches: the names of its device buffers in the generated CudaCore and
/// its sizes as literals. Every tensor has a view of its own into a device arena (<see cref="CudaPlan"/>): the input <c>_x</c>, a node's
/// output <c>A_L3_Y</c>, its gradient <c>D_L3_Y</c> (<c>D_X</c> for the input's, written only to be discarded), a
/// cache <c>A_L2_Mask</c>, a parameter <c>P_L0_Weight</c> and its gradient <c>G_L0_Weight</c>. The launch methods are
/// <c>NetGen.Cuda.CudaKernels</c>'s, through the field <c>_k</c>. <see cref="Cpu"/> gives the arguments and formulas.
/// </summary>
internal sealed class CudaNodeContext
{
    public CudaNodeContext(CudaPlan cuda, NodeContext cpu)
    {
        Cuda = cuda;
        Cpu = cpu;
    }

    public CudaPlan Cuda { get; }

    /// <summary>The CPU context of the same node: arguments, shapes, formulas.</summary>
    public NodeContext Cpu { get; }

    public Plan Plan => Cuda.Plan;

    public NodePlan Node => Cpu.Node;

    public CudaNode Lowered => Cuda.Nodes[Node.Ordinal];

    public EquatableArray<ArgumentValue> Args => Node.Arguments;

    /// <summary>Input elements per sample, as a literal.</summary>
    public string In => Cpu.In;

    /// <summary>Output elements per sample, as a literal.</summary>
    public string Out => Cpu.Out;

    /// <summary>The input buffer [B, in].</summary>
    public string X => Tensor(Plan, Node.Inputs[0]);

    /// <summary>The output buffer [B, out]; with a fused epilogue, the next node's output, where the store lands.</summary>
    public string Y => Tensor(Plan, Lowered.Epilogue is null ? Node.Output : Plan.Nodes[Node.Ordinal + 1].Output);

    /// <summary>∂L/∂y [B, out].</summary>
    public string Dy => Gradient(Plan, Node.Output);

    /// <summary>∂L/∂x [B, in], or null when nothing needs it and the kernel skips it; when another consumer of x wrote its
    /// gradient already, the contribution buffer <c>T_…</c> that the emitter then adds to it.</summary>
    public string? Dx => Node.InputGradients[0].Route switch
    {
        GradientRoute.Write or GradientRoute.Discard => Gradient(Plan, Node.Inputs[0]),
        GradientRoute.Accumulate => Contribution(Plan, Node.Inputs[0]),
        _ => null,
    };

    public bool HasState(string local) => Cpu.HasState(local);

    /// <summary>A parameter's buffer: <c>P_L0_Weight</c>; "null" when the layer lacks it.</summary>
    public string P(string local) => Cpu.HasState(local) ? "P_" + EmitNames.StateConst(Cpu.State(local)) : "null";

    /// <summary>A parameter gradient's buffer: <c>G_L0_Weight</c>.</summary>
    public string G(string local) => "G_" + EmitNames.StateConst(Cpu.State(local));

    /// <summary>A cache's buffer: <c>A_L2_Mask</c>.</summary>
    public string Cache(string local) => "A_" + EmitNames.CacheConst(Node, local);

    /// <summary>The buffer of activation tensor <paramref name="id"/>: <c>_x</c> for the input, else its producer's output.</summary>
    public static string Tensor(Plan plan, int id)
    {
        TensorPlan t = plan.Tensors[id];
        int storage = t.ViewOf >= 0 ? t.ViewOf : id;
        return storage == 0 ? "_x" : "A_" + EmitNames.TensorConst(plan.Nodes[plan.Tensors[storage].Producer]);
    }

    /// <summary>The gradient buffer of tensor <paramref name="id"/>: <c>D_X</c> for the input, else <c>D_L3_Y</c>; a tensor
    /// whose gradient a residual addition or a view passes through unchanged shares its consumer's buffer
    /// (<see cref="CudaLowering.GradientStorage"/>).</summary>
    public static string Gradient(Plan plan, int id)
    {
        int storage = CudaLowering.GradientStorage(plan)[id];
        return storage == 0 ? "D_X" : "D_" + EmitNames.TensorConst(plan.Nodes[plan.Tensors[storage].Producer]);
    }

    /// <summary>The buffer where a second consumer of tensor <paramref name="id"/> writes its contribution to the gradient
    /// before it is added (<see cref="CudaLowering.NeedsContribution"/>): <c>T_X</c>, <c>T_L3_Y</c>.</summary>
    public static string Contribution(Plan plan, int id) =>
        id == 0 ? "T_X" : "T_" + EmitNames.TensorConst(plan.Nodes[plan.Tensors[id].Producer]);

    /// <summary>A float buffer's device storage (running statistics): <c>B_L1_RunningMean</c>.</summary>
    public string Buf(string local) => "B_" + EmitNames.StateConst(Cpu.State(local));

    /// <summary>An I64 counter, kept on the host on both backends (no kernel reads it): <c>_counters[L1_NumBatchesTracked]</c>.</summary>
    public string Counter(string local) => $"_counters[{EmitNames.StateConst(Cpu.State(local))}]";

    /// <summary>The forward of a mask layer (Dropout, Dropout2D, stochastic depth, Gaussian dropout): in training
    /// <paramref name="launch"/>, which draws the mask from the CPU's counter RNG and key (<see cref="NodeContext.DropoutKey"/>)
    /// and applies it; at inference y = x, a copy (ng_leaky_relu_forward with slope 1, exact).</summary>
    public void EmitMaskedInTraining(SourceWriter w, string comment, string launch) => EmitTrainingOrInference(w,
        comment, launch, $"y = x: a copy [B×{Out}] (ng_leaky_relu_forward with slope 1, exact)", $"_k.ActivationForward({Activation("LeakyReLU")}, {X}, {Y}, 1f);");

    /// <summary><c>if (training) { // trainingComment; trainingLaunch } else { // inferenceComment; inferenceLaunch }</c>: the
    /// forward of a layer that behaves differently in training and at inference.</summary>
    public static void EmitTrainingOrInference(SourceWriter w, string trainingComment, string trainingLaunch, string inferenceComment, string inferenceLaunch)
    {
        w.WriteLine("if (training)");
        w.OpenBrace();
        w.WriteLine("// " + trainingComment);
        w.WriteLine(trainingLaunch);
        w.CloseBrace();
        w.WriteLine("else");
        w.OpenBrace();
        w.WriteLine("// " + inferenceComment);
        w.WriteLine(inferenceLaunch);
        w.CloseBrace();
    }

    /// <summary>The backward of a layer that multiplied its input by the mask it cached (every dropout variant but
    /// DropConnect): ng_multiply, <paramref name="dx"/> = dy ⊙ m.</summary>
    /// <param name="w">The writer.</param>
    /// <param name="dx">The gradient's name in the comment ("dx", or "dz" where the layer's formula names its input z).</param>
    public void EmitMaskBackward(SourceWriter w, string dx = "dx")
    {
        w.WriteLine($"// ng_multiply: {dx}[B×{Out}] = dy ⊙ m");
        w.WriteLine($"_k.Multiply({Dy}, {Cache("mask")}, {Dx});");
    }

    /// <summary>A float constant as the CPU core rounds it (T.CreateTruncating of the double): (float)0.01.</summary>
    public static string Float(double value) => "(float)" + LayerCatalog.F(value);

    /// <summary>An enum member of <c>NetGen.Cuda.CudaActivation</c>.</summary>
    public static string Activation(string name) => "global::NetGen.Cuda.CudaActivation." + name;
}
