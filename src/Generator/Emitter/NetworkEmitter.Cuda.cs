using System.Collections.Generic;
using NetGen.Generator.Catalog;
using NetGen.Generator.Lowering;
using NetGen.Generator.Planner;

namespace NetGen.Generator.Emitter;

internal static partial class NetworkEmitter
{
    /// <summary>
    /// Backend.Cuda (docs/cuda.md, docs/adr/0038-a-cuda-core-beside-the-cpu-core.md): the constructor that takes a backend,
    /// <c>Backend</c>, <c>CopyFromDevice</c>/<c>CopyToDevice</c> for every network; for a network the CUDA lowering covers,
    /// also <c>CudaStep</c> (TrainStep and ComputeGradients on the device) and <c>CudaCore</c>, the nodes as kernel launches.
    /// A network it does not cover gets a constructor that throws NotSupportedException naming the first layer (or loss,
    /// optimizer, setting) without a CUDA kernel.
    /// </summary>
    private static void EmitCudaApi(SourceWriter w, CpuPlan cpu, CudaPlan cuda)
    {
        Plan plan = cpu.Plan;
        string name = plan.ClassName;
        w.WriteLine();
        w.WriteLine("// ── Backend.Cuda (docs/cuda.md) ─────────────────────────────────────────────────────────────────────────────────");
        if (cuda.Supported)
        {
            w.WriteLine("// On a CUDA instance the parameters, gradients, optimizer state and activations live in device memory (CudaCore);");
            w.WriteLine("// _core.Params, _core.Grads and the optimizer state of _core are the host mirror: refreshed by CopyFromDevice (and by Save,");
            w.WriteLine("// SaveTrainingState, ExportOnnx, GradCheck), sent back by CopyToDevice (and by Load, LoadTrainingState). Never per step.");
            w.WriteLine("private CudaCore? _cuda; // null on Backend.Cpu");
        }
        else
        {
            w.WriteLine($"// No CUDA core: {cuda.Unsupported}.");
            w.WriteLine($"private const string CudaUnsupported = {Literal($"Network '{name}' cannot run on Backend.Cuda: {cuda.Unsupported}. {CudaLowering.Coverage} Use Backend.Cpu for this network.")};");
        }

        w.WriteLine();
        w.WriteLine("/// <summary>Creates the network on <paramref name=\"backend\"/>: the weights are initialised on the host exactly as by the");
        w.WriteLine("/// constructor without a backend (the same seed gives the same weights on both backends), then, on Backend.Cuda, uploaded to");
        w.WriteLine("/// GPU 0. Backend.Cuda needs only the NVIDIA driver; without it (no libcuda.so.1, no device, a device older than sm_80) it");
        w.WriteLine("/// throws InvalidOperationException naming what is missing, and for a network whose layers, loss or optimizer have no CUDA");
        w.WriteLine("/// kernel yet it throws NotSupportedException naming the first one (docs/cuda.md lists what Backend.Cuda covers).</summary>");
        w.WriteLine($"public {EmitNames.Identifier(name)}(ulong seed, global::NetGen.Backend backend)");
        w.WriteLine("    : this(seed)");
        w.OpenBrace();
        w.WriteLine("if (backend == global::NetGen.Backend.Cuda)");
        w.OpenBrace();
        if (cuda.Supported)
        {
            w.WriteLine($"_cuda = new CudaCore({CudaCoreArguments(plan)});");
            if (HasNormBound(plan))
            {
                w.WriteLine("_cuda.HostBuffers = _core.Buffers; // NormBound's multipliers α stay in the host arena (saved and loaded from there)");
            }

            w.WriteLine("_cuda.Upload(_core.Params, _core.OptimizerState());");
            if (CudaFloatBuffers(plan).Count > 0)
            {
                w.WriteLine("_cuda.UploadBuffers(_core.Buffers);");
            }
        }
        else
        {
            w.WriteLine("throw new global::System.NotSupportedException(CudaUnsupported);");
        }

        w.CloseBrace();
        w.WriteLine("else if (backend != global::NetGen.Backend.Cpu)");
        w.OpenBrace();
        w.WriteLine($"throw new global::System.ArgumentOutOfRangeException(nameof(backend), backend, \"Network '{name}': Backend.Cpu or Backend.Cuda.\");");
        w.CloseBrace();
        w.CloseBrace();
        w.WriteLine();
        w.WriteLine("/// <summary>Where this instance runs: Backend.Cpu, or Backend.Cuda when created with it.</summary>");
        w.WriteLine(cuda.Supported
            ? "public global::NetGen.Backend Backend => _cuda is null ? global::NetGen.Backend.Cpu : global::NetGen.Backend.Cuda;"
            : "public global::NetGen.Backend Backend => global::NetGen.Backend.Cpu;");
        w.WriteLine();
        w.WriteLine("/// <summary>Backend.Cuda: copies the parameters, the gradients of the last step and the optimizer state from the device into");
        w.WriteLine("/// the host mirror that <see cref=\"Parameters\"/>, <see cref=\"Gradients\"/> and GetParameter/GetGradient show (waiting for");
        w.WriteLine("/// the launches before it). A no-op on Backend.Cpu, where those are the network itself.</summary>");
        w.WriteLine("public void CopyFromDevice()");
        w.OpenBrace();
        w.WriteLine(cuda.Supported ? "_cuda?.Download(_core.Params, _core.Grads, _core.OptimizerState());" : "// Backend.Cpu only: nothing to copy");
        if (cuda.Supported && CudaFloatBuffers(plan).Count > 0)
        {
            w.WriteLine("_cuda?.DownloadBuffers(_core.Buffers); // the running statistics (the counters live on the host)");
        }
        w.CloseBrace();
        w.WriteLine();
        w.WriteLine("/// <summary>Backend.Cuda: sends the host mirror's parameters and optimizer state (written through <see cref=\"Parameters\"/> or");
        w.WriteLine("/// GetParameter) to the device, where the next call reads them. A no-op on Backend.Cpu.</summary>");
        w.WriteLine("public void CopyToDevice()");
        w.OpenBrace();
        w.WriteLine(cuda.Supported ? "_cuda?.Upload(_core.Params, _core.OptimizerState());" : "// Backend.Cpu only: nothing to copy");
        if (cuda.Supported && CudaFloatBuffers(plan).Count > 0)
        {
            w.WriteLine("_cuda?.UploadBuffers(_core.Buffers);");
        }
        w.CloseBrace();
        if (!cuda.Supported)
        {
            return;
        }

        EmitCudaStep(w, plan);
        w.WriteLine();
        EmitCudaCore(w, cpu, cuda);
    }

    /// <summary>The Backend.Cuda branch of TrainStep / ComputeGradients (after the same argument guards).</summary>
    private static void EmitCudaStep(SourceWriter w, Plan plan)
    {
        LossEntry loss = LossCatalog.Get(plan.Training.Loss);
        bool classes = loss.Target == TargetKind.ClassIndex;
        EmitCudaStep(w, plan, classes ? "int" : "float", classes ? "labels" : "targets");
        if (loss.AcceptsProbabilities)
        {
            EmitCudaStep(w, plan, "float", "targetProbabilities");
        }
    }

    private static void EmitCudaStep(SourceWriter w, Plan plan, string type, string targets)
    {
        string name = plan.ClassName;
        w.WriteLine();
        w.WriteLine("/// <summary>TrainStep (<paramref name=\"update\"/>) or ComputeGradients on the CUDA core, after the argument guards: forward,");
        w.WriteLine("/// loss, backward and the regularisation gradients as launches; the finiteness check; the update. Only the loss (one double)");
        w.WriteLine("/// comes back to the host; a refused step copies the gradients back to name the tensor, and changes nothing.</summary>");
        w.WriteLine($"private float CudaStep(global::System.ReadOnlySpan<float> inputs, global::System.ReadOnlySpan<{type}> {targets}, int B, bool update, string call)");
        w.OpenBrace();
        w.WriteLine("CudaCore cuda = _cuda!;");
        bool buffers = plan.BufferCount + plan.CounterCount > 0;
        if (buffers)
        {
            w.WriteLine("// the forward pass updates the running statistics: kept (on the device, and the host counters) to put back on a refused step");
            w.WriteLine(CudaFloatBuffers(plan).Count > 0 ? "cuda.KeepBuffers();" : "// no float buffers");
            w.WriteLine("_core.Counters.CopyTo(_countersBefore, 0);");
        }

        w.WriteLine("cuda.Forward(inputs, B, training: true, _seed, _step);");
        w.WriteLine($"double loss = cuda.Loss({targets}, B);");
        w.WriteLine("cuda.Backward(B);");
        w.WriteLine("if (update)");
        w.OpenBrace();
        w.WriteLine("_lastGradientNorm = cuda.ClipGradients(_clipGradientValue, _clipGradientNorm); // TrainStep only, before the regularisation terms, as on the CPU");
        w.CloseBrace();
        w.WriteLine();
        w.WriteLine("cuda.RegularizationBackward();");
        w.WriteLine("// The finiteness check without copying the gradients back: Σg² in double over every gradient tensor is finite exactly");
        w.WriteLine("// when every element is (a finite float squared never overflows a double).");
        w.WriteLine("if (!double.IsFinite(loss) || !double.IsFinite(cuda.GradientSumOfSquares()))");
        w.OpenBrace();
        if (buffers)
        {
            w.WriteLine(CudaFloatBuffers(plan).Count > 0 ? "cuda.RestoreBuffers();" : "// no float buffers");
            w.WriteLine("_countersBefore.CopyTo(_core.Counters, 0);");
        }

        w.WriteLine("cuda.Download(_core.Params, _core.Grads, _core.OptimizerState()); // the host mirror, so that the message names the tensor");
        w.WriteLine($"global::NetGen.Guard.ThrowNonFiniteStep(loss, _core.Grads, s_parameters, call, \"{name}\");");
        w.CloseBrace();
        w.WriteLine();
        w.WriteLine("if (update)");
        w.OpenBrace();
        w.WriteLine("_step++;");
        w.WriteLine("cuda.Update(_step, _learningRate);");
        w.CloseBrace();
        w.WriteLine();
        w.WriteLine("return (float)loss;");
        w.CloseBrace();
    }

    /// <summary>The storage of an activation tensor on the device: every node output except those a GEMM epilogue
    /// overwrites (the Dense output before a fused activation) and views.</summary>
    private static bool CudaStored(CudaPlan cuda, NodePlan node) =>
        cuda.Plan.Tensors[node.Output].ViewOf < 0 && cuda.Nodes[node.Ordinal].Epilogue is null;

    private static void EmitCudaCore(SourceWriter w, CpuPlan cpu, CudaPlan cuda)
    {
        Plan plan = cpu.Plan;
        OptimizerEntry optimizer = OptimizerCatalog.Get(plan.Training.Optimizer);
        LossEntry loss = LossCatalog.Get(plan.Training.Loss);
        bool classes = loss.Target == TargetKind.ClassIndex;
        const string Buffer = "global::NetGen.Cuda.DeviceBuffer";
        NodePlan last = plan.Nodes[plan.Nodes.Count - 1];
        string output = CudaNodeContext.Tensor(plan, last.Output);
        var parameters = new List<StatePlan>();
        foreach (StatePlan s in plan.State)
        {
            if (s.Role == StateRole.Parameter)
            {
                parameters.Add(s);
            }
        }

        var stateFields = new List<string>();
        foreach ((string field, _) in optimizer.State(plan.Training))
        {
            stateFields.Add(field);
        }

        w.WriteLine("/// <summary>The CUDA core (Backend.Cuda): the nodes of Core&lt;T&gt; in the same order with the same formulas, as launches of");
        w.WriteLine("/// NetGen's kernels (NetGen.Cuda.CudaKernels) on device buffers, one buffer per tensor. The per-row buffers are sized for");
        w.WriteLine("/// the rows B of the call: a call with another B reallocates them. Launches are asynchronous, in order on one stream; a copy");
        w.WriteLine("/// back to the host waits for them.</summary>");
        w.WriteLine("private sealed class CudaCore");
        w.OpenBrace();
        w.WriteLine("private readonly global::NetGen.Cuda.CudaNetworkRuntime _rt;");
        w.WriteLine("private readonly global::NetGen.Cuda.CudaKernels _k;");
        w.WriteLine();
        w.WriteLine($"// Parameters (state_dict order), their gradients{(stateFields.Count > 0 ? " and the optimizer state (" + string.Join(", ", stateFields) + ")" : string.Empty)}: one device buffer per tensor.");
        foreach (StatePlan s in parameters)
        {
            string c = EmitNames.StateConst(s);
            var fields = new List<string> { "P_" + c, "G_" + c };
            foreach (string f in stateFields)
            {
                fields.Add(f + "_" + c);
            }

            w.WriteLine($"private readonly {Buffer}<float> {string.Join(", ", fields)}; // \"{s.Key}\" {Shape(s.Shape)}");
        }

        w.WriteLine();
        w.WriteLine("// Per-row buffers [B, n], sized for the rows of the call: the input, each stored node output and cache, each gradient, the");
        w.WriteLine("// targets and the loss terms.");
        w.WriteLine("private int _rows;");
        w.WriteLine($"private {Buffer}<float> _x = null!; // input [B, {I(plan.InputSize)}]");
        var perRow = new List<(string Field, string Type, string Length)> { ("_x", "float", I(plan.InputSize)) };
        foreach (NodePlan node in plan.Nodes)
        {
            TensorPlan t = plan.Tensors[node.Output];
            if (CudaStored(cuda, node))
            {
                string field = CudaNodeContext.Tensor(plan, node.Output);
                string fused = cuda.Nodes[node.Ordinal].FusedIntoPrevious ? $" (the store of [{plan.Nodes[node.Ordinal - 1].Label}]'s GEMM epilogue)" : string.Empty;
                w.WriteLine($"private {Buffer}<float> {field} = null!; // {node.Name} output [B, {I(t.Length)}]{fused}");
                perRow.Add((field, "float", I(t.Length)));
            }

            foreach (CachePlan cache in plan.Caches)
            {
                if (cache.Node == node.Ordinal && cache.PerSample) // the fixed-size ones: EmitCudaStateFields
                {
                    string field = "A_" + EmitNames.CacheConst(node, cache.Local);
                    string type = cache.IsInt ? "int" : "float";
                    w.WriteLine($"private {Buffer}<{type}> {field} = null!; // {node.Name} {cache.Local} [B, {I(cache.Length)}]");
                    perRow.Add((field, type, I(cache.Length)));
                }
            }
        }

        int[] gradientStorage = CudaLowering.GradientStorage(plan);
        for (int id = 0; id < plan.Tensors.Count; id++)
        {
            if (cuda.GradientBuffers[id])
            {
                string field = CudaNodeContext.Gradient(plan, id);
                string what = id == 0 ? "the input (written by the first layer's kernel, never read)" : plan.Nodes[plan.Tensors[id].Producer].Name + " output";
                var shared = new List<string>();
                for (int other = 0; other < plan.Tensors.Count; other++)
                {
                    if (other != id && gradientStorage[other] == id)
                    {
                        shared.Add(other == 0 ? "the input" : plan.Nodes[plan.Tensors[other].Producer].Name);
                    }
                }

                string also = shared.Count > 0 ? $"; also ∂L/∂ of {string.Join(", ", shared)}, passed through unchanged" : string.Empty;
                w.WriteLine($"private {Buffer}<float> {field} = null!; // ∂L/∂({what}) [B, {I(plan.Tensors[id].Length)}]{also}");
                perRow.Add((field, "float", I(plan.Tensors[id].Length)));
            }
        }

        for (int id = 0; id < plan.Tensors.Count; id++)
        {
            if (CudaLowering.NeedsContribution(plan, id))
            {
                string field = CudaNodeContext.Contribution(plan, id);
                string what = id == 0 ? "the input" : plan.Nodes[plan.Tensors[id].Producer].Name + " output";
                w.WriteLine($"private {Buffer}<float> {field} = null!; // a second consumer's part of ∂L/∂({what}) [B, {I(plan.Tensors[id].Length)}], added to {CudaNodeContext.Gradient(plan, id)}");
                perRow.Add((field, "float", I(plan.Tensors[id].Length)));
            }
        }

        string terms = loss.CudaLossTermPerOutput ? I(plan.OutputSize) : "1";
        w.WriteLine(classes
            ? $"private {Buffer}<int> _targets = null!; // labels [B]"
            : $"private {Buffer}<float> _targets = null!; // targets [B, {I(plan.OutputSize)}]");
        perRow.Add(("_targets", classes ? "int" : "float", classes ? "1" : I(plan.OutputSize)));
        if (loss.AcceptsProbabilities)
        {
            w.WriteLine($"private {Buffer}<float> _targetProbabilities = null!; // target distributions [B, {I(plan.OutputSize)}] (soft targets)");
            perRow.Add(("_targetProbabilities", "float", I(plan.OutputSize)));
        }

        w.WriteLine($"private {Buffer}<double> _lossTerms = null!; // loss terms in double [B{(terms == "1" ? string.Empty : ", " + terms)}]");
        perRow.Add(("_lossTerms", "double", terms));
        if (HasNormBound(plan))
        {
            w.WriteLine();
            w.WriteLine("/// <summary>The host's buffer arena (Core.Buffers), where NormBound's multipliers α live: set by the constructor.</summary>");
            w.WriteLine("public float[] HostBuffers = global::System.Array.Empty<float>();");
        }
        EmitCudaStateFields(w, cpu, cuda);
        w.WriteLine();
        w.WriteLine("/// <summary>Opens GPU 0, loads the kernels and allocates the parameter tensors (uploaded by Upload), their gradients and");
        w.WriteLine("/// the optimizer state (zero).</summary>");
        w.WriteLine(plan.CounterCount > 0 ? "public CudaCore(long[] counters)" : "public CudaCore()");
        w.OpenBrace();
        w.WriteLine($"_rt = new global::NetGen.Cuda.CudaNetworkRuntime(\"{plan.ClassName}\");");
        w.WriteLine("_k = _rt.Kernels;");
        EmitCudaStateAllocations(w, plan);
        foreach (StatePlan s in parameters)
        {
            string c = EmitNames.StateConst(s);
            w.WriteLine($"P_{c} = _rt.Allocate({I(s.Length)});");
            w.WriteLine($"G_{c} = _rt.Zeros({I(s.Length)});");
            foreach (string f in stateFields)
            {
                w.WriteLine($"{f}_{c} = _rt.Zeros({I(s.Length)});");
            }
        }

        w.CloseBrace();
        w.WriteLine();
        w.WriteLine("/// <summary>Sizes the per-row buffers for <paramref name=\"B\"/> rows (the launches read a buffer's length).</summary>");
        w.WriteLine("private void Rows(int B)");
        w.OpenBrace();
        w.WriteLine("if (B == _rows)");
        w.OpenBrace();
        w.WriteLine("return;");
        w.CloseBrace();
        w.WriteLine();
        w.WriteLine("_rows = B;");
        foreach ((string field, string type, string length) in perRow)
        {
            w.WriteLine(length == "1" ? $"{field} = _rt.Reallocate<{type}>({field}, B);" : $"{field} = _rt.Reallocate<{type}>({field}, B * {length});");
        }

        w.CloseBrace();
        w.WriteLine();

        // Host mirror.
        w.WriteLine("/// <summary>Host → device: the parameters (an arena laid out as s_parameters) and the optimizer state arrays.</summary>");
        w.WriteLine("public void Upload(float[] parameters, float[][] optimizerState)");
        w.OpenBrace();
        if (stateFields.Count == 0)
        {
            w.WriteLine("_ = optimizerState; // plain SGD keeps none");
        }

        foreach (StatePlan s in parameters)
        {
            string c = EmitNames.StateConst(s);
            w.WriteLine($"P_{c}.CopyFrom(new global::System.ReadOnlySpan<float>(parameters, {c}, {I(s.Length)}));");
            for (int f = 0; f < stateFields.Count; f++)
            {
                w.WriteLine($"{stateFields[f]}_{c}.CopyFrom(new global::System.ReadOnlySpan<float>(optimizerState[{I(f)}], {c}, {I(s.Length)}));");
            }
        }

        w.CloseBrace();
        w.WriteLine();
        w.WriteLine("/// <summary>Device → host: the parameters, their gradients and the optimizer state (waits for the launches before it).</summary>");
        w.WriteLine("public void Download(float[] parameters, float[] gradients, float[][] optimizerState)");
        w.OpenBrace();
        if (stateFields.Count == 0)
        {
            w.WriteLine("_ = optimizerState; // plain SGD keeps none");
        }

        foreach (StatePlan s in parameters)
        {
            string c = EmitNames.StateConst(s);
            w.WriteLine($"P_{c}.CopyTo(new global::System.Span<float>(parameters, {c}, {I(s.Length)}));");
            w.WriteLine($"G_{c}.CopyTo(new global::System.Span<float>(gradients, {c}, {I(s.Length)}));");
            for (int f = 0; f < stateFields.Count; f++)
            {
                w.WriteLine($"{stateFields[f]}_{c}.CopyTo(new global::System.Span<float>(optimizerState[{I(f)}], {c}, {I(s.Length)}));");
            }
        }

        w.CloseBrace();
        w.WriteLine();

        EmitCudaBufferMethods(w, plan);

        // Predict.
        w.WriteLine("/// <summary>Inference, MaxBatch rows at a time: each chunk's output comes back as the launches finish.</summary>");
        w.WriteLine("public void Predict(global::System.ReadOnlySpan<float> inputs, global::System.Span<float> outputs, int rows, ulong seed, long step)");
        w.OpenBrace();
        w.WriteLine("for (int start = 0; start < rows; start += MaxBatch)");
        w.OpenBrace();
        w.WriteLine("int B = global::System.Math.Min(MaxBatch, rows - start);");
        w.WriteLine("Forward(inputs.Slice(start * InputSize, B * InputSize), B, training: false, seed, step);");
        w.WriteLine($"{output}.CopyTo(outputs.Slice(start * OutputSize, B * OutputSize));");
        w.CloseBrace();
        w.CloseBrace();
        w.WriteLine();

        EmitCudaForward(w, cpu, cuda);
        w.WriteLine();
        EmitCudaLoss(w, cpu, cuda);
        w.WriteLine();
        EmitCudaBackward(w, cpu, cuda);
        w.WriteLine();
        EmitCudaUpdate(w, cpu, parameters);
        w.CloseBrace();
    }

    private static void EmitCudaForward(SourceWriter w, CpuPlan cpu, CudaPlan cuda)
    {
        Plan plan = cpu.Plan;
        w.WriteLine($"/// <summary>Forward: x[B, {I(plan.InputSize)}] → output[B, {I(plan.OutputSize)}] on the device; the same nodes and formulas as Core&lt;T&gt;.Forward.</summary>");
        w.WriteLine("public void Forward(global::System.ReadOnlySpan<float> x, int B, bool training, ulong seed, long step)");
        w.OpenBrace();
        bool usesTraining = false, usesRandom = false;
        foreach (NodePlan node in plan.Nodes)
        {
            usesTraining |= LayerCatalog.Get(node.Kind).ReadsTrainingFlag;
            usesRandom |= LayerCatalog.Get(node.Kind).ReadsRandomStream;
        }

        if (!usesTraining)
        {
            w.WriteLine("_ = training; _ = seed; _ = step; // no dropout in this network");
        }
        else if (!usesRandom)
        {
            w.WriteLine("_ = seed; _ = step; // no dropout in this network");
        }

        w.WriteLine("Rows(B);");
        w.WriteLine("_x.CopyFrom(x);");
        foreach (NodePlan node in plan.Nodes)
        {
            var c = new NodeContext(cpu, node);
            LayerEntry entry = LayerCatalog.Get(node.Kind);
            CudaNode lowered = cuda.Nodes[node.Ordinal];
            NodeHeader(w, c, string.Empty);
            string then = lowered.Epilogue is not null ? $", then {LayerCatalog.Get(plan.Nodes[node.Ordinal + 1].Kind).ForwardFormula(new NodeContext(cpu, plan.Nodes[node.Ordinal + 1]))} → output of [{plan.Nodes[node.Ordinal + 1].Label}]" : string.Empty;
            w.WriteLine("// " + entry.ForwardFormula(c) + then);
            entry.EmitCudaForward(w, new CudaNodeContext(cuda, c));
            if (node.Ordinal < plan.Nodes.Count - 1)
            {
                w.WriteLine();
            }
        }

        w.CloseBrace();
    }

    private static void EmitCudaLoss(SourceWriter w, CpuPlan cpu, CudaPlan cuda)
    {
        Plan plan = cpu.Plan;
        LossEntry loss = LossCatalog.Get(plan.Training.Loss);
        bool classes = loss.Target == TargetKind.ClassIndex;
        NodePlan last = plan.Nodes[plan.Nodes.Count - 1];
        w.WriteLine("/// <summary>Mean loss of the last Forward: data loss + regularisation terms. Writes ∂L/∂output on the device.</summary>");
        w.WriteLine(classes
            ? "public double Loss(global::System.ReadOnlySpan<int> labels, int B)"
            : "public double Loss(global::System.ReadOnlySpan<float> targets, int B)");
        w.OpenBrace();
        w.WriteLine($"// ── loss: {loss.Title(plan.Training)} over output[B, {I(plan.OutputSize)}] (PyTorch: {loss.TorchEquivalent(plan.Training)})");
        foreach (string line in loss.Formula(plan.Training))
        {
            w.WriteLine("// " + line);
        }

        loss.EmitCudaLoss(w, plan.Training, CudaNodeContext.Tensor(plan, last.Output), CudaNodeContext.Gradient(plan, last.Output), I(plan.OutputSize));
        List<StatePlan> regularized = Regularized(plan);
        w.WriteLine(regularized.Count > 0 ? "return loss + Penalty();" : "return loss;");
        w.CloseBrace();
        if (loss.AcceptsProbabilities)
        {
            w.WriteLine();
            w.WriteLine("/// <summary>As Loss, against target distributions [B, C] (soft targets).</summary>");
            w.WriteLine("public double Loss(global::System.ReadOnlySpan<float> targetProbabilities, int B)");
            w.OpenBrace();
            w.WriteLine($"// ── loss: {loss.Title(plan.Training)} against probability rows t over output[B, {I(plan.OutputSize)}] (PyTorch: {loss.TorchEquivalentForProbabilities(plan.Training)})");
            foreach (string line in loss.ProbabilityFormula(plan.Training))
            {
                w.WriteLine("// " + line);
            }

            loss.EmitCudaProbabilityLoss(w, plan.Training, CudaNodeContext.Tensor(plan, last.Output), CudaNodeContext.Gradient(plan, last.Output), I(plan.OutputSize));
            w.WriteLine(regularized.Count > 0 ? "return loss + Penalty();" : "return loss;");
            w.CloseBrace();
        }

        if (regularized.Count == 0)
        {
            return;
        }

        w.WriteLine();
        w.WriteLine("/// <summary>The regularisation terms of the loss: Σ over the regularised tensors of ½·λ₂·Σw² + λ₁·Σ|w| (+ NormBound's");
        w.WriteLine("/// α·(½·‖W‖²_F − k)); one double back per term.</summary>");
        w.WriteLine("private double Penalty()");
        w.OpenBrace();
        w.WriteLine("// ── regularisation: ½·λ₂·Σw² (WeightDecay) + λ₁·Σ|w| (L1), Σw² and Σ|w| in double (ng_mse against zeros, ng_sum_abs_f64)");
        w.WriteLine("double penalty = 0;");
        foreach (StatePlan p in regularized)
        {
            string c = EmitNames.StateConst(p);
            if (p.L2 > 0)
            {
                w.WriteLine($"penalty += 0.5 * {LayerCatalog.F(p.L2)} * _rt.SumOfSquares(P_{c}); // L2 on \"{p.Key}\": ½·λ₂·Σw²");
            }

            if (p.L1 > 0)
            {
                w.WriteLine($"penalty += {LayerCatalog.F(p.L1)} * _rt.SumOfAbsolutes(P_{c}); // L1 on \"{p.Key}\": λ₁·Σ|w|");
            }

            if (p.NormBound > 0)
            {
                w.WriteLine($"penalty += (double)HostBuffers[{CudaMultiplier(plan, p)}] * ((0.5 * _rt.SumOfSquares(P_{c})) - {LayerCatalog.F(p.NormBound)}); // constraint on \"{p.Key}\": α·(½·‖W‖²_F − k), k = {LayerCatalog.F(p.NormBound)}");
            }
        }

        w.WriteLine("return penalty;");
        w.CloseBrace();
    }

    private static void EmitCudaBackward(SourceWriter w, CpuPlan cpu, CudaPlan cuda)
    {
        Plan plan = cpu.Plan;
        w.WriteLine("/// <summary>Backward: the same nodes in reverse order, from ∂L/∂output (left by Loss) to every parameter gradient of the data");
        w.WriteLine("/// loss; each parameter gradient has one writer, which overwrites it. Every gradient has its own buffer, but a residual addition's");
        w.WriteLine("/// inputs share its output's (the gradient passes through unchanged), and a tensor's second consumer adds its part with ng_add.</summary>");
        w.WriteLine("public void Backward(int B)");
        w.OpenBrace();
        for (int i = plan.Nodes.Count - 1; i >= 0; i--)
        {
            NodePlan node = plan.Nodes[i];
            var c = new NodeContext(cpu, node);
            LayerEntry entry = LayerCatalog.Get(node.Kind);
            NodeHeader(w, c, " · backward");
            if (!entry.HasBackward(c))
            {
                w.WriteLine(entry.PassesGradientThrough ? "// " + entry.BackwardFormula(c) : "// no parameters, and nothing before needs ∂L/∂x");
            }
            else
            {
                w.WriteLine("// " + entry.BackwardFormula(c));
                entry.EmitCudaBackward(w, new CudaNodeContext(cuda, c));
            }

            EmitCudaAccumulation(w, plan, node, entry);

            if (i > 0)
            {
                w.WriteLine();
            }
        }

        w.CloseBrace();
        w.WriteLine();
        w.WriteLine("/// <summary>The regularisation terms' gradients (L2: dW += λ₂·W; L1: dW += λ₁·sign(W); NormBound: dW += α·W), added after");
        w.WriteLine("/// Backward and gradient clipping.</summary>");
        w.WriteLine("public void RegularizationBackward()");
        w.OpenBrace();
        List<StatePlan> regularized = Regularized(plan);
        w.WriteLine(regularized.Count == 0
            ? "// no regularisation (WeightDecay = 0 and L1 = 0)"
            : "// ── regularisation · backward: dW += λ₂·W by ng_sgd (p += (−lr)·g) with p = dW, g = W and lr = −λ₂; dW += λ₁·sign(W) by ng_add_l1_gradient");
        foreach (StatePlan p in regularized)
        {
            string c = EmitNames.StateConst(p);
            if (p.L2 > 0)
            {
                w.WriteLine($"_k.Sgd(G_{c}, P_{c}, -(float){LayerCatalog.F(p.L2)}); // \"{p.Key}\": dW += λ₂·W");
            }

            if (p.L1 > 0)
            {
                w.WriteLine($"_k.AddL1Gradient(P_{c}, G_{c}, (float){LayerCatalog.F(p.L1)}); // \"{p.Key}\": dW += λ₁·sign(W), sign(0) = 0");
            }

            if (p.NormBound > 0)
            {
                string alpha = $"HostBuffers[{CudaMultiplier(plan, p)}]";
                w.WriteLine($"if ({alpha} != 0f)");
                w.OpenBrace();
                w.WriteLine($"_k.AddL2Gradient(P_{c}, G_{c}, {alpha}); // \"{p.Key}\": dW += α·W, the Lagrangian's term at the current α (ng_add_l2_gradient)");
                w.CloseBrace();
            }
        }

        w.CloseBrace();
        w.WriteLine();
        w.WriteLine("/// <summary>Gradient clipping of the data loss's gradient (TrainStep): by value (g = clamp(g, −c, c), PyTorch's");
        w.WriteLine("/// clip_grad_value_), then by the global norm over every parameter gradient (clip_grad_norm_: g·max/(‖g‖ + 1e-6) when that");
        w.WriteLine("/// factor is below 1; ‖g‖ in double, one double back per tensor). Returns the norm before clipping, NaN without a maximum.</summary>");
        w.WriteLine("public double ClipGradients(double? clipValue, double? maxNorm)");
        w.OpenBrace();
        w.WriteLine("if (clipValue is double value)");
        w.OpenBrace();
        foreach (StatePlan s in plan.State)
        {
            if (s.Role == StateRole.Parameter)
            {
                w.WriteLine($"_k.ClipByValue(G_{EmitNames.StateConst(s)}, value); // ng_clip_by_value");
            }
        }

        w.CloseBrace();
        w.WriteLine();
        w.WriteLine("if (maxNorm is not double max)");
        w.OpenBrace();
        w.WriteLine("return double.NaN;");
        w.CloseBrace();
        w.WriteLine();
        w.WriteLine("double norm = global::System.Math.Sqrt(GradientSumOfSquares());");
        w.WriteLine("double coefficient = max / (norm + 1e-6);");
        w.WriteLine("if (coefficient < 1)");
        w.OpenBrace();
        foreach (StatePlan s in plan.State)
        {
            if (s.Role == StateRole.Parameter)
            {
                w.WriteLine($"_k.Scale(G_{EmitNames.StateConst(s)}, (float)coefficient); // ng_scale");
            }
        }

        w.CloseBrace();
        w.WriteLine();
        w.WriteLine("return norm;");
        w.CloseBrace();
        w.WriteLine();
        w.WriteLine("/// <summary>Σg² in double over every parameter gradient: finite exactly when every gradient element is.</summary>");
        w.WriteLine("public double GradientSumOfSquares()");
        w.OpenBrace();
        w.WriteLine("double sum = 0;");
        foreach (StatePlan s in plan.State)
        {
            if (s.Role == StateRole.Parameter)
            {
                w.WriteLine($"sum += _rt.SumOfSquares(G_{EmitNames.StateConst(s)});");
            }
        }

        w.WriteLine("return sum;");
        w.CloseBrace();
    }

    private static void EmitCudaUpdate(SourceWriter w, CpuPlan cpu, List<StatePlan> parameters)
    {
        Plan plan = cpu.Plan;
        OptimizerEntry optimizer = OptimizerCatalog.Get(plan.Training.Optimizer);
        w.WriteLine("/// <summary>Optimizer step, one launch per parameter tensor; <paramref name=\"step\"/> counts updates from 1;");
        w.WriteLine("/// <paramref name=\"learningRate\"/> is the network's LearningRate at this step.</summary>");
        w.WriteLine("public void Update(long step, double learningRate)");
        w.OpenBrace();
        if (!optimizer.ReadsStep)
        {
            w.WriteLine("_ = step;");
        }

        w.WriteLine($"// {optimizer.Title(plan.Training)}: {optimizer.Formula(plan.Training)}   (the CPU's operations in the CPU's order, scalars from the host)");
        if (optimizer.DecouplesWeightDecay && plan.Training.DecoupledWeightDecay > 0)
        {
            double lambda = plan.Training.DecoupledWeightDecay;
            w.WriteLine($"// decoupled weight decay first, W ← W·(1 − lr·λ), λ = {LayerCatalog.F(lambda)}, over every Dense and Conv2D weight (not biases): ng_scale");
            foreach (StatePlan s in parameters)
            {
                if (s.WeightDecay)
                {
                    w.WriteLine($"_k.DecoupledWeightDecay(P_{EmitNames.StateConst(s)}, learningRate, {LayerCatalog.F(lambda)}); // \"{s.Key}\"");
                }
            }
        }

        foreach (StatePlan s in parameters)
        {
            string c = EmitNames.StateConst(s);
            optimizer.EmitCudaUpdate(w, plan.Training, "P_" + c, "G_" + c, field => field + "_" + c, "(float)learningRate");
        }

        bool anyMaxNorm = false;
        foreach (StatePlan s in parameters)
        {
            if (s.MaxNorm > 0)
            {
                if (!anyMaxNorm)
                {
                    w.WriteLine("// ── max-norm constraint after the update: each row w_u with ‖w_u‖₂ > c becomes w_u·c/(‖w_u‖₂ + 1e-7) (torch.renorm),");
                    w.WriteLine("// ng_max_norm: one block per row, the norm in double");
                    anyMaxNorm = true;
                }

                w.WriteLine($"_k.MaxNorm(P_{EmitNames.StateConst(s)}, {I(s.Shape[0])}, {LayerCatalog.F(s.MaxNorm)}); // \"{s.Key}\": {I(s.Shape[0])} rows, c = {LayerCatalog.F(s.MaxNorm)}");
            }
        }

        bool anyBound = false;
        foreach (StatePlan s in parameters)
        {
            if (s.NormBound > 0)
            {
                if (!anyBound)
                {
                    w.WriteLine("// ── explicit constraint Ω(W) = ½·‖W‖²_F ≤ k: dual ascent on the multiplier after the step, α ← max(0, α + ρ·(Ω(W) − k)),");
                    w.WriteLine("// Ω in double on the device (one double back), α in the host arena rounded once to float");
                    anyBound = true;
                }

                string alpha = $"HostBuffers[{CudaMultiplier(plan, s)}]";
                w.WriteLine($"{alpha} = (float)global::System.Math.Max(0.0, (double){alpha} + ({LayerCatalog.F(s.DualRate)} * ((0.5 * _rt.SumOfSquares(P_{EmitNames.StateConst(s)})) - {LayerCatalog.F(s.NormBound)}))); // \"{s.Key}\": k = {LayerCatalog.F(s.NormBound)}, ρ = {LayerCatalog.F(s.DualRate)}");
            }
        }

        w.CloseBrace();
    }

    /// <summary>After a node's backward: each input whose gradient another consumer wrote already gets this node's part added on
    /// the device (ng_add): the output's gradient itself for a residual addition, else the contribution buffer its kernel wrote.</summary>
    private static void EmitCudaAccumulation(SourceWriter w, Plan plan, NodePlan node, LayerEntry entry)
    {
        for (int k = 0; k < node.Inputs.Count && k < node.InputGradients.Count; k++)
        {
            if (node.InputGradients[k].Route == GradientRoute.Accumulate)
            {
                string from = entry.PassesGradientThrough ? CudaNodeContext.Gradient(plan, node.Output) : CudaNodeContext.Contribution(plan, node.Inputs[k]);
                w.WriteLine($"_k.Accumulate({CudaNodeContext.Gradient(plan, node.Inputs[k])}, {from}); // ng_add: ∂L/∂x has a second consumer, add its contribution");
            }
        }
    }

    /// <summary>The offset of a constrained weight's multiplier α (its layer's <c>constraint_alpha</c> buffer) in the host's buffer arena.</summary>
    private static string CudaMultiplier(Plan plan, StatePlan weight)
    {
        foreach (StatePlan s in plan.State)
        {
            if (s.Node == weight.Node && s.Local == RegularizationRule.MultiplierLocal)
            {
                return EmitNames.StateConst(s);
            }
        }

        return "0";
    }

    private static bool HasNormBound(Plan plan)
    {
        foreach (StatePlan s in plan.State)
        {
            if (s.Role == StateRole.Parameter && s.NormBound > 0)
            {
                return true;
            }
        }

        return false;
    }
}
