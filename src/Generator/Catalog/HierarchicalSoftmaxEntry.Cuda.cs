using System.Collections.Generic;
using NetGen.Generator.Emitter;
using NetGen.Generator.Model;
using NetGen.Generator.Planner;

namespace NetGen.Generator.Catalog;

// The CUDA lowering of the hierarchical softmax (docs/cuda.md, docs/adr/0050-cuda-fractional-pooling-and-hierarchical-softmax.md):
// the tree as one int table uploaded once, the loss and ∂L/∂h along each row's path (one thread per row), the node
// gradients as a gather over the rows (no atomics), the distribution and the greedy descent for Predict and PredictClasses.

/// <summary>The hierarchical softmax on Backend.Cuda: its node parameters are ordinary parameters of the state arena
/// (P_LHsm_Weight, G_LHsm_Weight, their optimizer state), trained and regularised as any.</summary>
internal sealed partial class HierarchicalSoftmaxEntry
{
    public override string? CudaUnsupportedReason(TrainingSpec t) => null;

    public override IReadOnlyList<(string Field, string Type, string Length, string Comment)> CudaRowBuffers(Plan plan) => new[]
    {
        ("_hsmSteps", "float", LayerCatalog.I(Depth(plan.Training)), $"∂L/∂z of each step of each row's path [B, {LayerCatalog.I(Depth(plan.Training))}] (the longest path), for the node gradients"),
        ("_probabilities", "float", LayerCatalog.I(plan.Training.Classes), $"Predict's distribution over the classes [B, {LayerCatalog.I(plan.Training.Classes)}]"),
        ("_hsmClasses", "int", "1", "PredictClasses' greedy descent [B]"),
    };

    public override void EmitCudaFields(SourceWriter w, Plan plan)
    {
        w.WriteLine();
        w.WriteLine("// The tree of the hierarchical softmax on the device, uploaded once: each class's path (start, nodes, codes), each inner");
        w.WriteLine("// node's depth and children (CudaKernels.HierarchicalSoftmaxTable of s_classTree).");
        w.WriteLine("private readonly global::NetGen.Cuda.DeviceBuffer<int> _hsmTree;");
        w.WriteLine("private global::System.Action? _classesLaunches;");
        w.WriteLine("private const long ClassesGraph = 5L << 32; // PredictClasses' graph key: the kind | B");
    }

    public override void EmitCudaAllocations(SourceWriter w, Plan plan)
    {
        w.WriteLine("int[] table = global::NetGen.Cuda.CudaKernels.HierarchicalSoftmaxTable(s_classTree);");
        w.WriteLine("_hsmTree = _rt.AllocateInts(table.Length);");
        w.WriteLine("_hsmTree.CopyFrom(table);");
    }

    public override void EmitCudaLossCall(SourceWriter w, Plan plan, string scores, string gradient)
    {
        (string v, string b, string dv, string db) = CudaSpans(plan);
        TrainingSpec t = plan.Training;
        string h = LayerCatalog.I(plan.OutputSize), c = LayerCatalog.I(t.Classes), depth = LayerCatalog.I(Depth(t));
        w.WriteLine($"// ng_hsm_loss: one thread per row of h[B×{h}]; along the path of y: z = h·v_n + b_n (in order), −log σ(s·z) summed in double, g = −s·σ(−s·z)/B kept per step, ∂L/∂h = Σ_path g·v_n");
        w.WriteLine($"_k.HierarchicalSoftmaxLoss({scores}, _targets, {v}, {b}, _hsmTree, {gradient}, _hsmSteps, _lossTerms, B, {h}, {c}, {depth});");
        w.WriteLine($"// ng_hsm_node_gradients: one thread per (node, feature) of V[{LayerCatalog.I(t.Classes - 1)}×{h}] and b: ∂L/∂v_n = Σ_rows g·h, ∂L/∂b_n = Σ_rows g over the rows whose path passes n, rows in order (a gather, no atomics; overwritten)");
        w.WriteLine($"_k.HierarchicalSoftmaxNodeGradients({scores}, _targets, _hsmSteps, _hsmTree, {dv}, {db}, B, {h}, {c}, {depth});");
    }

    public override string? CudaPredictLaunch(Plan plan, string features)
    {
        (string v, string b, _, _) = CudaSpans(plan);
        return $"_k.HierarchicalSoftmaxProbabilities({features}, {v}, {b}, _hsmTree, _probabilities, _B, {LayerCatalog.I(plan.OutputSize)}, {LayerCatalog.I(plan.Training.Classes)}); // ng_hsm_probabilities: p(c | h) = Π_path σ(s·z), one thread per (row, class)";
    }

    public override string CudaPredictOutput(string features) => "_probabilities";

    public override void EmitCudaCoreMembers(SourceWriter w, Plan plan, string features)
    {
        (string v, string b, _, _) = CudaSpans(plan);
        w.WriteLine("/// <summary>PredictClasses on the device, MaxBatch rows at a time: the inference forward and the greedy descent of the tree");
        w.WriteLine("/// (ng_hsm_greedy, one thread per row) as a graph of its own per B, the classes back.</summary>");
        w.WriteLine("public void PredictClasses(global::System.ReadOnlySpan<float> inputs, global::System.Span<int> classes, int rows, ulong seed, long step)");
        w.OpenBrace();
        w.WriteLine("_rt.Enter();");
        w.WriteLine("_classesLaunches ??= () =>");
        w.OpenBrace();
        w.WriteLine("Forward(_B, training: false, _seed, _step);");
        w.WriteLine($"_k.HierarchicalSoftmaxGreedy({features}, {v}, {b}, _hsmTree, _hsmClasses, _B, {LayerCatalog.I(plan.OutputSize)}, {LayerCatalog.I(plan.Training.Classes)}); // at node n left when h·v_n + b_n ≥ 0, else right");
        w.CloseBrace(";");
        w.WriteLine("for (int start = 0; start < rows; start += MaxBatch)");
        w.OpenBrace();
        w.WriteLine("int B = global::System.Math.Min(MaxBatch, rows - start);");
        w.WriteLine("Rows(B);");
        w.WriteLine("_x.CopyFrom(inputs.Slice(start * InputSize, B * InputSize));");
        w.WriteLine("_B = B;");
        w.WriteLine("_seed = seed;");
        w.WriteLine("_step = step;");
        w.WriteLine("_rt.Run(ClassesGraph | (uint)B, _classesLaunches);");
        w.WriteLine("_hsmClasses.CopyTo(classes.Slice(start, B));");
        w.CloseBrace();
        w.CloseBrace();
        w.WriteLine();
    }

    /// <summary>The device views of the node parameters and their gradients: P_LHsm_Weight, P_LHsm_Bias, G_…</summary>
    private static (string V, string B, string DV, string DB) CudaSpans(Plan plan)
    {
        string v = "null", b = "null";
        foreach (StatePlan s in plan.State)
        {
            if (s.Node < 0 && s.Local == "weight")
            {
                v = EmitNames.StateConst(s);
            }
            else if (s.Node < 0 && s.Local == "bias")
            {
                b = EmitNames.StateConst(s);
            }
        }

        return ("P_" + v, "P_" + b, "G_" + v, "G_" + b);
    }

    /// <summary>The longest path of the tree: ⌈log₂ C⌉ for the balanced one, else the deepest leaf of the parent array.</summary>
    internal static int Depth(TrainingSpec t)
    {
        if (t.ClassTree.Count == 0)
        {
            return CeilLog2(t.Classes);
        }

        int inner = t.Classes - 1, deepest = 1;
        for (int c = 0; c < t.Classes; c++)
        {
            int depth = 0;
            for (int node = inner + c; node > 0 && node < t.ClassTree.Count && depth < t.ClassTree.Count; depth++)
            {
                node = t.ClassTree[node];
            }

            deepest = System.Math.Max(deepest, depth);
        }

        return deepest;
    }
}
