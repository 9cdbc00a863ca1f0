using System.Collections.Generic;
using NetGen.Generator.Diagnostics;
using NetGen.Generator.Emitter;
using NetGen.Generator.Model;
using NetGen.Generator.Planner;

namespace NetGen.Generator.Catalog.Layers;

/// <summary>
/// A residual connection (He et al., 2016): y = branch(x) + shortcut(x), the branch being the layers of a [Block] class
/// (<c>[Residual(typeof(BasicBlock))]</c>). The shortcut is the identity when the branch keeps the shape, else a 1×1
/// convolution without bias and with the stride that maps H×W to the branch's (torchvision's downsample, without its
/// BatchNorm). As PyTorch modules: <c>Residual(branch=nn.Sequential(...), shortcut=nn.Sequential(nn.Conv2d(C, C', 1,
/// stride=s, bias=False)))</c>, so keys read "3.branch.0.weight", "3.shortcut.0.weight". The addition's backward passes
/// ∂L/∂y to both inputs: the planner aliases it and adds the two contributions to ∂L/∂x.
/// </summary>
internal sealed partial class ResidualEntry : LayerEntry
{
    public override string Kind => "Residual";

    public override bool PassesGradientThrough => true;

    public override void Validate(LayerSpec spec, string display, string owner, List<DiagnosticInfo> diagnostics)
    {
        double p = spec.Arguments.Number("DropProbability", 0);
        if (!(p >= 0 && p < 1))
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.DropProbabilityOutOfRange, spec.LocationOf("DropProbability"), display, owner, p));
        }
    }

    /// <summary>Initialisation looks through the addition: a branch's last weight followed (after the sum) by a ReLU starts He.</summary>
    public override bool TransparentForInit => true;

    public override int Plan(PlanContext context, LayerSpec spec, int input, string path, int index)
    {
        string? typeName = spec.Arguments.Text("Block");
        BlockSpec? block = context.Block(typeName);
        if (block is null)
        {
            context.Report(DiagnosticInfo.Create(DiagnosticDescriptors.UnknownBlock, spec.LocationOf("Block"), spec.Display(index), context.Owner, typeName ?? "null"));
            return -1;
        }

        if (block.Layers.Count == 0)
        {
            context.Report(DiagnosticInfo.Create(DiagnosticDescriptors.BlockHasNoLayers, spec.LocationOf("Block"), block.Name, context.Network));
            return -1;
        }

        // Stochastic depth: this block's own DropProbability, else Huang's linear rule p_l = l/L · p_L over the network's
        // residual blocks in execution order (l counted before the branch's own blocks, so an outer block comes first).
        int depth = context.NextOrdinalOf(Kind);
        var drop = new List<ArgumentValue>();
        if (spec.Arguments.Has("DropProbability"))
        {
            drop.Add(new ArgumentValue("P", spec.Arguments.Number("DropProbability", 0), null));
        }
        else if (context.Training.StochasticDepth > 0)
        {
            int of = context.CountLayers(Kind);
            context.AppliedSettings.Add("StochasticDepth");
            drop.Add(new ArgumentValue("P", depth * context.Training.StochasticDepth / of, null));
            drop.Add(new ArgumentValue("Depth", depth, null));
            drop.Add(new ArgumentValue("Of", of, null));
            drop.Add(new ArgumentValue("Last", context.Training.StochasticDepth, null));
        }

        if (!context.EnterBlock(block, spec.LocationOf("Block")))
        {
            return -1;
        }

        int branch = context.PlanSequence(block.Layers, input, path + ".branch", block.Name);
        context.LeaveBlock();
        if (branch < 0)
        {
            return -1;
        }

        if (drop.Count > 0 && drop[0].Number > 0)
        {
            var stochastic = new LayerSpec("StochasticDepth", (spec.Name ?? DefaultName + "_" + path.Replace('.', '_')) + "_drop_path", drop.ToEquatableArray(), spec.LocationOf("DropProbability"), spec.ArgumentLocations);
            branch = context.AddNode(LayerCatalog.Get("StochasticDepth"), stochastic, branch, path + ".drop_path", index);
            if (branch < 0)
            {
                return -1;
            }
        }

        EquatableArray<int> from = context.ShapeOf(input), to = context.ShapeOf(branch);
        int shortcut = input;
        if (!from.Equals(to))
        {
            int branchStride = 1;
            foreach (NodeBuilder node in context.Nodes)
            {
                if (node.Path.StartsWith(path + ".branch.", System.StringComparison.Ordinal) && !node.Path.Contains(".shortcut."))
                {
                    branchStride *= node.Entry.SpatialStride(node.Spec.Arguments);
                }
            }

            int stride = ProjectionStride(from, to, branchStride);
            if (stride < 1)
            {
                string why = from.Count != 3 || to.Count != 3 ? "both must be C×H×W" : $"no stride s gives ⌊({LayerCatalog.I(from[1])} − 1)/s⌋ + 1 = {LayerCatalog.I(to[1])} and ⌊({LayerCatalog.I(from[2])} − 1)/s⌋ + 1 = {LayerCatalog.I(to[2])}";
                context.Report(DiagnosticInfo.Create(DiagnosticDescriptors.ResidualCannotProject, spec.LocationOf("Block"), spec.Display(index), context.Owner, block.Name, Shapes.Text(from), Shapes.Text(to), why));
                return -1;
            }

            var projection = new LayerSpec("Conv2D", null,
                new[] { new ArgumentValue("OutChannels", to[0], null), new ArgumentValue("Kernel", 1, null), new ArgumentValue("Stride", stride, null), new ArgumentValue("Bias", 0, null), new ArgumentValue(Conv2DEntry.ProjectionArgument, 1, null) }.ToEquatableArray(),
                spec.Location, spec.ArgumentLocations);
            shortcut = LayerCatalog.Get("Conv2D").Plan(context, projection, input, path + ".shortcut.0", 0);
            if (shortcut < 0)
            {
                return -1;
            }
        }

        return context.AddComputed(this, spec, new[] { branch, shortcut }, to, path, index);
    }

    /// <summary>The stride s of a 1×1 convolution that maps [C, H, W] to [C', H', W']: ⌊(H − 1)/s⌋ + 1 = H' and the same
    /// for W. The product of the branch's strides when it fits (torchvision's downsample uses the block's stride), else
    /// the smallest that does; −1 when there is none.</summary>
    private static int ProjectionStride(EquatableArray<int> from, EquatableArray<int> to, int branchStride)
    {
        if (from.Count != 3 || to.Count != 3)
        {
            return -1;
        }

        if (((from[1] - 1) / branchStride) + 1 == to[1] && ((from[2] - 1) / branchStride) + 1 == to[2])
        {
            return branchStride;
        }

        for (int s = 1; s <= from[1] && s <= from[2]; s++)
        {
            if (((from[1] - 1) / s) + 1 == to[1] && ((from[2] - 1) / s) + 1 == to[2])
            {
                return s;
            }
        }

        return -1;
    }

    public override EquatableArray<int>? OutputShape(LayerSpec spec, EquatableArray<int> input, ShapeContext shapes) => input;

    public override string TorchModule(NodeContext c) => IsProjected(c) ? "Residual(branch, shortcut)" : "Residual(branch)";

    public override string Title(NodeContext c) => $"Residual {BlockName(c)}: y = branch(x) + {(IsProjected(c) ? "shortcut(x)" : "x")} {Shapes.Text(c.OutputShape)}";

    public override string ForwardFormula(NodeContext c) =>
        $"y[B,{Shapes.Cross(c.OutputShape).Replace("×", ",")}] = branch(x) + {(IsProjected(c) ? "shortcut(x) (1×1 projection)" : "x (identity shortcut)")}";

    public override string BackwardFormula(NodeContext c) => "d branch(x) = dy;  d shortcut(x) = dy: aliases of dy, no code (their sum into dx is added where the second contribution arrives)";

    public override bool HasBackward(NodeContext c) => false;

    public override void EmitForward(SourceWriter w, NodeContext c) =>
        w.WriteLine($"global::NetGen.Kernels.Residual.Add<T>({c.Xi(0)}, {c.Xi(1)}, {c.Y});");

    public override void EmitBackward(SourceWriter w, NodeContext c)
    {
    }

    // ── CUDA (docs/cuda.md): the addition is one ng_add; its backward is no launch at all: both inputs' gradients share the
    // output's gradient buffer (CudaLowering.GradientStorage), and an input with a second consumer gets ng_add after that
    // consumer's backward (NetworkEmitter.Cuda's accumulation), as the CPU shares and accumulates its slots. A 1×1
    // projection shortcut is a Conv2D node of its own, lowered (or not) by its entry.

    public override string? CudaUnsupportedReason(NodeContext c) => null;

    public override void EmitCudaForward(SourceWriter w, CudaNodeContext c)
    {
        w.WriteLine($"// ng_add: y[B×{c.Out}] = branch + shortcut");
        w.WriteLine($"_k.Add({CudaNodeContext.Tensor(c.Plan, c.Node.Inputs[0])}, {CudaNodeContext.Tensor(c.Plan, c.Node.Inputs[1])}, {c.Y});");
    }

    public override void EmitCudaBackward(SourceWriter w, CudaNodeContext c)
    {
        // Never called: HasBackward is false (the gradient passes through to both inputs without a launch).
    }

    private static bool IsProjected(NodeContext c) => c.Plan.Tensors[c.Node.Inputs[1]].Producer >= 0 && c.Plan.Nodes[c.Plan.Tensors[c.Node.Inputs[1]].Producer].Path.StartsWith(c.Node.Path + ".shortcut", System.StringComparison.Ordinal);

    private static string BlockName(NodeContext c)
    {
        string name = c.Args.Text("Block") ?? "?";
        return name.Substring(name.LastIndexOf('.') + 1);
    }
}
