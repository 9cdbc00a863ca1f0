using System.Collections.Generic;
using NetGen.Generator.Catalog;
using NetGen.Generator.Lowering;
using NetGen.Generator.Planner;

namespace NetGen.Generator.Emitter;

/// <summary>
/// The CUDA core's buffers (state saved but not trained: BatchNorm's running statistics) and its fixed-size caches
/// (docs/adr/0043-cuda-image-layers-and-buffers-on-the-device.md). Each float buffer is a device buffer of its own,
/// <c>B_L1_RunningMean</c>, which the training forward updates in place; it follows the host mirror <c>_core.Buffers</c>
/// exactly as the parameters do (CopyFromDevice / CopyToDevice, and so Save, Load and the training state). The int64
/// counters (num_batches_tracked) are read by no kernel: the CUDA core counts on the host array <c>_core.Counters</c>
/// itself. A refused step puts both back: the device buffers from copies taken before the forward pass
/// (<c>K_L1_RunningMean</c>, a device-to-device copy), the counters as on the CPU.
/// </summary>
internal static partial class NetworkEmitter
{
    private static List<StatePlan> CudaFloatBuffers(Plan plan)
    {
        var list = new List<StatePlan>();
        foreach (StatePlan s in plan.State)
        {
            if (s.Role == StateRole.Buffer && s.Dtype == StateDtype.F32 && s.Local != RegularizationRule.MultiplierLocal) // NormBound's α stays in the host arena (ADR 0044)
            {
                list.Add(s);
            }
        }

        return list;
    }

    /// <summary>The CudaCore constructor's argument: the host counters when the network has any.</summary>
    private static string CudaCoreArguments(Plan plan) => plan.CounterCount > 0 ? "_core.Counters" : string.Empty;

    /// <summary>Fields of CudaCore: the device buffers and their copies kept for a refused step, the host counters, the
    /// fixed-size caches (BatchNorm's per-channel μ and 1/σ) and each node's static geometry.</summary>
    private static void EmitCudaStateFields(SourceWriter w, CpuPlan cpu, CudaPlan cuda)
    {
        Plan plan = cpu.Plan;
        const string Buffer = "global::NetGen.Cuda.DeviceBuffer";
        List<StatePlan> buffers = CudaFloatBuffers(plan);
        if (buffers.Count > 0)
        {
            w.WriteLine();
            w.WriteLine("// Buffers (saved, not trained; the training forward updates them): one device buffer each, following the host mirror");
            w.WriteLine("// _core.Buffers as the parameters follow _core.Params; K_ holds each as it was before the step, put back if it is refused.");
            foreach (StatePlan s in buffers)
            {
                string c = EmitNames.StateConst(s);
                w.WriteLine($"private readonly {Buffer}<float> B_{c}, K_{c}; // \"{s.Key}\" {Shape(s.Shape)}");
            }
        }

        if (plan.CounterCount > 0)
        {
            w.WriteLine("private readonly long[] _counters; // the host's int64 counters (num_batches_tracked): no kernel reads them, so they stay on the host");
        }

        bool first = true;
        foreach (CachePlan cache in plan.Caches)
        {
            if (!cache.PerSample)
            {
                if (first)
                {
                    w.WriteLine();
                    w.WriteLine("// Caches of a fixed size, kept from the training forward for backward.");
                    first = false;
                }

                NodePlan node = plan.Nodes[cache.Node];
                w.WriteLine($"private readonly {Buffer}<{(cache.IsInt ? "int" : "float")}> A_{EmitNames.CacheConst(node, cache.Local)}; // {node.Name} {cache.Local} [{I(cache.Length)}]");
            }
        }

        first = true;
        foreach (NodePlan node in plan.Nodes)
        {
            var inner = new SourceWriter();
            LayerCatalog.Get(node.Kind).EmitCudaFields(inner, new CudaNodeContext(cuda, new NodeContext(cpu, node)));
            string text = inner.ToSourceText();
            if (text.Length == 0)
            {
                continue;
            }

            if (first)
            {
                w.WriteLine();
                w.WriteLine("// Geometry of the convolutions and poolings (checked once by their constructors).");
                first = false;
            }

            w.WriteLines(text.TrimEnd('\n'));
        }
    }

    /// <summary>The constructor's allocations of the buffers, their copies and the fixed caches.</summary>
    private static void EmitCudaStateAllocations(SourceWriter w, Plan plan)
    {
        if (plan.CounterCount > 0)
        {
            w.WriteLine("_counters = counters;");
        }

        foreach (StatePlan s in CudaFloatBuffers(plan))
        {
            string c = EmitNames.StateConst(s);
            w.WriteLine($"B_{c} = _rt.Allocate({I(s.Length)});");
            w.WriteLine($"K_{c} = _rt.Allocate({I(s.Length)});");
        }

        foreach (CachePlan cache in plan.Caches)
        {
            if (!cache.PerSample)
            {
                string field = "A_" + EmitNames.CacheConst(plan.Nodes[cache.Node], cache.Local);
                w.WriteLine(cache.IsInt ? $"{field} = _rt.AllocateInts({I(cache.Length)});" : $"{field} = _rt.Allocate({I(cache.Length)});");
            }
        }
    }

    /// <summary>UploadBuffers, DownloadBuffers, KeepBuffers, RestoreBuffers: the buffers' host mirror and the refused step.</summary>
    private static void EmitCudaBufferMethods(SourceWriter w, Plan plan)
    {
        List<StatePlan> buffers = CudaFloatBuffers(plan);
        if (buffers.Count == 0)
        {
            return;
        }

        EmitPerBuffer(w, buffers, "/// <summary>Host → device: the buffers (an arena laid out as s_buffers).</summary>", "public void UploadBuffers(float[] buffers)",
            (c, s) => $"B_{c}.CopyFrom(new global::System.ReadOnlySpan<float>(buffers, {c}, {I(s.Length)}));");
        EmitPerBuffer(w, buffers, "/// <summary>Device → host: the buffers (waits for the launches before it).</summary>", "public void DownloadBuffers(float[] buffers)",
            (c, s) => $"B_{c}.CopyTo(new global::System.Span<float>(buffers, {c}, {I(s.Length)}));");
        EmitPerBuffer(w, buffers, "/// <summary>Before a training forward: each buffer copied on the device into K_ (ng_leaky_relu_forward at slope 1, exact).</summary>", "public void KeepBuffers()",
            (c, s) => $"_k.ActivationForward(global::NetGen.Cuda.CudaActivation.LeakyReLU, B_{c}, K_{c}, 1f);");
        EmitPerBuffer(w, buffers, "/// <summary>A refused step: the buffers as KeepBuffers left them.</summary>", "public void RestoreBuffers()",
            (c, s) => $"_k.ActivationForward(global::NetGen.Cuda.CudaActivation.LeakyReLU, K_{c}, B_{c}, 1f);");
    }

    /// <summary>A method of the CUDA core with one line per float buffer (<paramref name="line"/> of its state constant and plan).</summary>
    private static void EmitPerBuffer(SourceWriter w, List<StatePlan> buffers, string summary, string signature, System.Func<string, StatePlan, string> line)
    {
        w.WriteLine(summary);
        w.WriteLine(signature);
        w.OpenBrace();
        foreach (StatePlan s in buffers)
        {
            w.WriteLine(line(EmitNames.StateConst(s), s));
        }

        w.CloseBrace();
        w.WriteLine();
    }
}
