using System.Collections.Generic;
using NetGen.Generator.Diagnostics;
using NetGen.Generator.Emitter;
using NetGen.Generator.Model;
using NetGen.Generator.Planner;

namespace NetGen.Generator.Catalog;

/// <summary>
/// Hierarchical softmax (Morin and Bengio, 2005; Mikolov et al., 2013) over a binary tree of C classes: the last layer
/// produces H features h, the loss owns the node vectors V[C − 1, H] ("hsm.weight") and biases b[C − 1] ("hsm.bias"),
/// and L = −Σ_{n ∈ path(y)} log σ(s_n·(h·v_n + b_n)), averaged over the rows. Training reads only the nodes on the target's
/// path (O(H·log C) per row for the balanced tree); Predict returns the full distribution over the C classes (O(C·H) per
/// row) and PredictClasses the greedy descent (O(H·log C)). docs/adr/0028-hierarchical-softmax-owns-its-node-parameters.md.
/// </summary>
internal sealed partial class HierarchicalSoftmaxEntry : LossEntry
{
    /// <summary>The module path of the loss-owned state: its keys are "hsm.weight" and "hsm.bias".</summary>
    public const string Path = "hsm";

    public override LossKind Kind => LossKind.HierarchicalSoftmax;

    public override string Title(TrainingSpec t) =>
        $"hierarchical softmax over {(t.ClassTree.Count > 0 ? "a given" : "a balanced")} binary tree of {LayerCatalog.I(t.Classes)} classes";

    public override IReadOnlyList<string> Formula(TrainingSpec t) => new[]
    {
        "L = −(1/B) Σ_i Σ_{n ∈ path(y_i)} log σ(s_n·z_in),  z_in = h_i·v_n + b_n,  s_n = +1 to the left child, −1 to the right",
        "only the nodes on y_i's path are read and written (at most ⌈log₂ C⌉ for the balanced tree); −log σ(m) = max(−m, 0) + log(1 + e^(−|m|))",
        "fused backward, g_in = −s_n·σ(−s_n·z_in)/B:  ∂L/∂h_i = Σ_path g_in·v_n,  ∂L/∂v_n = Σ_i g_in·h_i,  ∂L/∂b_n = Σ_i g_in",
    };

    public override TargetKind Target => TargetKind.ClassIndex;

    /// <summary>H ≥ 1 features suffice: the classes are counted by <c>Classes</c>, not by the last layer's width.</summary>
    public override int MinOutputs => 1;

    public override string TorchEquivalent(TrainingSpec t) => "no module: −F.logsigmoid(codes·(V[path]·h + b[path])).sum(1).mean()";

    public override IReadOnlyList<string> ReadSettings { get; } = new[] { "Classes", "ClassTree" };

    protected override string Kernel => "HierarchicalSoftmax";

    public override int Outputs(TrainingSpec t, int features) => t.Classes;

    public override IReadOnlyList<LossState> State(TrainingSpec t, int features) => new[]
    {
        new LossState("weight", new[] { t.Classes - 1, features }, true),
        new LossState("bias", new[] { t.Classes - 1 }, false),
    };

    /// <summary>The tree, built once per class: the balanced one, or the declared parent array (checked by <see cref="Validate"/>).</summary>
    public override void EmitClassFields(SourceWriter w, Plan plan)
    {
        TrainingSpec t = plan.Training;
        w.WriteLine("// The tree of the hierarchical softmax: class c is the path from the root (node 0) to its leaf; at inner node n the left");
        w.WriteLine("// child has code s = +1 and probability σ(h·v_n + b_n), the right child s = −1 and σ(−(h·v_n + b_n)).");
        w.WriteLine(t.ClassTree.Count > 0
            ? $"private static readonly global::NetGen.Kernels.HierarchicalSoftmaxTree s_classTree = global::NetGen.Kernels.HierarchicalSoftmaxTree.FromParents(new int[] {{ {string.Join(", ", System.Linq.Enumerable.Select(t.ClassTree, p => LayerCatalog.I(p)))} }}); // ClassTree as declared (parent array)"
            : $"private static readonly global::NetGen.Kernels.HierarchicalSoftmaxTree s_classTree = global::NetGen.Kernels.HierarchicalSoftmaxTree.Balanced({LayerCatalog.I(t.Classes)}); // depth ⌈log₂ C⌉ = {LayerCatalog.I(CeilLog2(t.Classes))}");
        w.WriteLine();
    }

    public override void EmitLossCall(SourceWriter w, Plan plan, string scores, string targets, string gradient)
    {
        (string v, string b, string dv, string db) = Spans(plan);
        int h = plan.OutputSize;
        w.WriteLine($"// h[B, {LayerCatalog.I(h)}] = {scores};  V[{LayerCatalog.I(plan.Training.Classes - 1)}, {LayerCatalog.I(h)}] = \"hsm.weight\";  b[{LayerCatalog.I(plan.Training.Classes - 1)}] = \"hsm.bias\";  ∂L/∂h → slot 0; ∂L/∂V, ∂L/∂b overwritten");
        w.WriteLine($"double loss = global::NetGen.Kernels.HierarchicalSoftmax.Loss<T>({scores}, {targets}, {gradient}, B, {LayerCatalog.I(h)}, {v}, {b}, {dv}, {db}, s_classTree) / B;");
    }

    public override void EmitCoreMembers(SourceWriter w, Plan plan)
    {
        (string v, string b, _, _) = Spans(plan);
        int h = plan.OutputSize;
        w.WriteLine();
        w.WriteLine($"/// <summary>The hierarchical softmax's distribution: probabilities[B, {LayerCatalog.I(plan.Training.Classes)}] from the features h[B, {LayerCatalog.I(h)}] of the last Forward.</summary>");
        w.WriteLine("public void Probabilities(global::System.ReadOnlySpan<T> h, int B, global::System.Span<T> probabilities)");
        w.OpenBrace();
        w.WriteLine("// p(c | h) = Π_{n ∈ path(c)} σ(s_n·(h·v_n + b_n)): every node's score once (C − 1 dot products of length H), then each class's path");
        w.WriteLine($"global::NetGen.Kernels.HierarchicalSoftmax.Probabilities<T>(h, B, {LayerCatalog.I(h)}, {v}, {b}, probabilities, s_classTree);");
        w.CloseBrace();
        w.WriteLine();
        w.WriteLine("/// <summary>Greedy descent from the root to a leaf: classes[B].</summary>");
        w.WriteLine("public void GreedyClasses(global::System.ReadOnlySpan<T> h, int B, global::System.Span<int> classes)");
        w.OpenBrace();
        w.WriteLine("// at node n go left when h·v_n + b_n ≥ 0 (σ ≥ ½), else right: one node score per level, ≤ ⌈log₂ C⌉ for the balanced tree");
        w.WriteLine($"global::NetGen.Kernels.HierarchicalSoftmax.GreedyClasses<T>(h, B, {LayerCatalog.I(h)}, {v}, {b}, classes, s_classTree);");
        w.CloseBrace();
    }

    public override void EmitPredictRows(SourceWriter w, string forward, string outputs) =>
        w.WriteLine($"_core.Probabilities({forward}, B, {outputs}); // the full distribution over the classes, O(C·H) per row");

    public override void EmitApiMembers(SourceWriter w, Plan plan, bool cuda)
    {
        string name = plan.ClassName;
        w.WriteLine("/// <summary>The number of features H the last layer produces, which the hierarchical softmax reads (OutputSize is the number of classes).</summary>");
        w.WriteLine($"public const int Features = {LayerCatalog.I(plan.OutputSize)};");
        w.WriteLine();
        w.WriteLine("/// <summary>The hierarchical softmax's tree: each class's path of inner nodes and codes, and <c>NodeEvaluations</c>, the node scores");
        w.WriteLine("/// h·v_n + b_n computed so far by every network of this class (a cost counter).</summary>");
        w.WriteLine("public static global::NetGen.Kernels.HierarchicalSoftmaxTree ClassTree => s_classTree;");
        w.WriteLine();
        w.WriteLine("/// <summary>The class of each row by greedy descent of the tree (dropout off, batch normalisation on its running statistics): from the");
        w.WriteLine("/// root, the likelier child at each node, ⌈log₂ C⌉ node scores per row for the balanced tree instead of the C − 1 of");
        w.WriteLine("/// <see cref=\"Predict\"/>. Not always the argmax of the full distribution. Allocates nothing.</summary>");
        w.WriteLine("public void PredictClasses(global::System.ReadOnlySpan<float> inputs, global::System.Span<int> classes)");
        w.OpenBrace();
        w.WriteLine($"int rows = global::NetGen.Guard.Rows(inputs, InputSize, \"{name}\");");
        w.WriteLine("if (classes.Length != rows)");
        w.OpenBrace();
        w.WriteLine($"throw new global::System.ArgumentException($\"Argument 'classes' of network '{name}' has {{classes.Length}} values; expected {{rows}}, one per input row.\", nameof(classes));");
        w.CloseBrace();
        w.WriteLine();
        if (cuda)
        {
            w.WriteLine("if (_cuda is not null)");
            w.OpenBrace();
            w.WriteLine("_cuda.PredictClasses(inputs, classes, rows, _seed, _step); // Backend.Cuda: the descent on the device");
            w.WriteLine("return;");
            w.CloseBrace();
            w.WriteLine();
        }

        w.WriteLine("for (int start = 0; start < rows; start += MaxBatch)");
        w.OpenBrace();
        w.WriteLine("int B = global::System.Math.Min(MaxBatch, rows - start);");
        w.WriteLine("_core.GreedyClasses(_core.Forward(inputs.Slice(start * InputSize, B * InputSize), B, training: false, _seed, _step), B, classes.Slice(start, B));");
        w.CloseBrace();
        w.CloseBrace();
        w.WriteLine();
    }

    public override string? OnnxUnsupportedReason =>
        "the hierarchical softmax (Loss.HierarchicalSoftmax) has no ONNX operator; export the features (the network without the loss) and compute p(c | h) = Π σ(s_n·(h·v_n + b_n)) outside";

    private static (string V, string B, string DV, string DB) Spans(Plan plan)
    {
        StatePlan? weight = null, bias = null;
        foreach (StatePlan s in plan.State)
        {
            if (s.Node < 0 && s.Local == "weight")
            {
                weight = s;
            }
            else if (s.Node < 0 && s.Local == "bias")
            {
                bias = s;
            }
        }

        string Span(string arena, StatePlan? s) => s is null ? "default" : $"{arena}({EmitNames.StateConst(s)}, {LayerCatalog.I(s.Length)})";
        return (Span("P", weight), Span("P", bias), Span("G", weight), Span("G", bias));
    }

    private static int CeilLog2(int n)
    {
        int depth = 0;
        while ((1L << depth) < n)
        {
            depth++;
        }

        return depth;
    }

    /// <summary>
    /// The declaration's checks, run by the Parser: NG0226 when the loss is used without Classes ≥ 2; NG0227 when ClassTree
    /// is not a binary tree over Classes classes (the same rules as <c>HierarchicalSoftmaxTree.FromParents</c>).
    /// </summary>
    public static void Validate(LossKind loss, int classes, int[]? tree, System.Func<string, LocationInfo?> at, bool classesWritten, string network, List<DiagnosticInfo> diagnostics)
    {
        if (loss != LossKind.HierarchicalSoftmax)
        {
            return;
        }

        if (classes < 2)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.HierarchicalSoftmaxClasses, at(classesWritten ? "Classes" : "Loss"), network, classesWritten ? LayerCatalog.I(classes) : "not written"));
            return;
        }

        if (tree is not null && TreeError(tree, classes) is { } reason)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.HierarchicalSoftmaxTree, at("ClassTree"), network, LayerCatalog.I(classes), reason));
        }
    }

    /// <summary>Why <paramref name="parents"/> is not a binary tree over <paramref name="classes"/> classes, or null.</summary>
    internal static string? TreeError(int[] parents, int classes)
    {
        int inner = classes - 1;
        if (parents.Length != (2 * classes) - 1)
        {
            return $"it has {LayerCatalog.I(parents.Length)} entries, and a tree over {LayerCatalog.I(classes)} classes has 2C − 1 = {LayerCatalog.I((2 * classes) - 1)} ({LayerCatalog.I(inner)} inner nodes, then one leaf per class)";
        }

        if (parents[0] != -1)
        {
            return $"entry 0 (the root) is {LayerCatalog.I(parents[0])}, not −1";
        }

        var children = new int[inner];
        var left = new int[inner];
        var right = new int[inner];
        for (int i = 1; i < parents.Length; i++)
        {
            int p = parents[i];
            if (p < 0 || p >= inner)
            {
                return $"entry {LayerCatalog.I(i)} is {LayerCatalog.I(p)}, and a parent must be an inner node in [0, {LayerCatalog.I(inner)})";
            }

            if (++children[p] > 2)
            {
                return $"inner node {LayerCatalog.I(p)} has more than two children (entry {LayerCatalog.I(i)} is the third)";
            }

            if (children[p] == 1)
            {
                left[p] = i;
            }
            else
            {
                right[p] = i;
            }
        }

        for (int n = 0; n < inner; n++)
        {
            if (children[n] != 2)
            {
                return $"inner node {LayerCatalog.I(n)} has {(children[n] == 0 ? "no" : "one")} child, and every inner node needs two";
            }
        }

        var reached = new bool[parents.Length];
        var pending = new Stack<int>();
        pending.Push(0);
        while (pending.Count > 0)
        {
            int n = pending.Pop();
            if (reached[n])
            {
                continue;
            }

            reached[n] = true;
            if (n < inner)
            {
                pending.Push(left[n]);
                pending.Push(right[n]);
            }
        }

        for (int c = 0; c < classes; c++)
        {
            if (!reached[inner + c])
            {
                return $"class {LayerCatalog.I(c)} (entry {LayerCatalog.I(inner + c)}) is not reachable from the root: the array has a cycle";
            }
        }

        return null;
    }
}
