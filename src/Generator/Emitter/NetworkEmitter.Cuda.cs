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
            w.WriteLine("private bool _cudaGraphs = true;");
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
            w.WriteLine("try");
            w.OpenBrace();
            if (HasNormBound(plan))
            {
                w.WriteLine("_cuda.HostBuffers = _core.Buffers; // NormBound's multipliers α stay in the host arena (saved and loaded from there)");
            }

            w.WriteLine("_cuda.Upload(_core.Params, _core.OptimizerState());");
            if (CudaFloatBuffers(plan).Count > 0)
            {
                w.WriteLine("_cuda.UploadBuffers(_core.Buffers);");
            }

            w.CloseBrace();
            w.WriteLine("catch");
            w.OpenBrace();
            w.WriteLine("_cuda.Dispose(); // the device memory now, not at the next collection");
            w.WriteLine("throw;");
            w.CloseBrace();
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
        w.WriteLine($"global::NetGen.Guard.NotDisposed(_disposed, \"{name}\");");
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
        w.WriteLine($"global::NetGen.Guard.NotDisposed(_disposed, \"{name}\");");
        w.WriteLine(cuda.Supported ? "_cuda?.Upload(_core.Params, _core.OptimizerState());" : "// Backend.Cpu only: nothing to copy");
        if (cuda.Supported && CudaFloatBuffers(plan).Count > 0)
        {
            w.WriteLine("_cuda?.UploadBuffers(_core.Buffers);");
        }
        w.CloseBrace();
        w.WriteLine();
        w.WriteLine("/// <summary>Backend.Cuda: whether TrainStep, ComputeGradients and Predict run as CUDA graphs, captured on the first call with");
        w.WriteLine("/// a batch size and replayed afterwards (true, the default), or launch by launch (false: for debugging, e.g. to find the");
        w.WriteLine("/// launch that fails). Both give the same bits. No effect on Backend.Cpu (docs/cuda.md).</summary>");
        w.WriteLine("public bool CudaGraphs");
        w.OpenBrace();
        if (cuda.Supported)
        {
            w.WriteLine("get => _cudaGraphs;");
            w.WriteLine("set");
            w.OpenBrace();
            w.WriteLine("_cudaGraphs = value;");
            w.WriteLine("if (_cuda is not null)");
            w.OpenBrace();
            w.WriteLine("_cuda.Graphs = value;");
            w.CloseBrace();
            w.CloseBrace();
        }
        else
        {
            w.WriteLine("get => true;");
            w.WriteLine("set { } // Backend.Cpu only");
        }

        w.CloseBrace();
        w.WriteLine();
        w.WriteLine("private bool _disposed;");
        w.WriteLine();
        w.WriteLine("/// <summary>Frees the device memory of a Backend.Cuda instance now (its arenas, graphs, stream and kernels; without this the");
        w.WriteLine("/// finalizers free it at a later collection). A Backend.Cpu instance holds no device memory: nothing to free. Idempotent;");
        w.WriteLine("/// afterwards Predict, TrainStep, ComputeGradients, CopyFromDevice, CopyToDevice and what calls them (Save, Load, the");
        w.WriteLine("/// training states, ExportOnnx, GradCheck) throw ObjectDisposedException naming the network.</summary>");
        w.WriteLine("public void Dispose()");
        w.OpenBrace();
        w.WriteLine("_disposed = true;");
        w.WriteLine(cuda.Supported ? "_cuda?.Dispose();" : "// Backend.Cpu only: no device memory");
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
        w.WriteLine("/// loss, backward, gradient clipping by value, the regularisation gradients and the sums of the check as one graph (or launch");
        w.WriteLine("/// by launch; launch by launch too when clipping by norm, which reads ‖g‖ back mid-step); the finiteness check; the update as");
        w.WriteLine("/// a second graph. Only the loss and the sums (a few doubles) come back to the host; a refused step copies the gradients back");
        w.WriteLine("/// to name the tensor, and changes nothing.</summary>");
        w.WriteLine($"private float CudaStep(global::System.ReadOnlySpan<float> inputs, global::System.ReadOnlySpan<{type}> {targets}, int B, bool update, string call)");
        w.OpenBrace();
        w.WriteLine("CudaCore cuda = _cuda!;");
        bool buffers = plan.BufferCount + plan.CounterCount > 0;
        if (buffers && plan.CounterCount > 0)
        {
            w.WriteLine("// the forward pass updates the running statistics: the device buffers are kept by the gradient launches, the host");
            w.WriteLine("// counters here, to put back on a refused step");
            w.WriteLine("_core.Counters.CopyTo(_countersBefore, 0);");
        }

        w.WriteLine($"double loss = cuda.{(targets == "targetProbabilities" ? "SoftGradients" : "Gradients")}(inputs, {targets}, B, _seed, _step, update ? _clipGradientValue : null, update ? _clipGradientNorm : null, out double squares, out double norm);");
        w.WriteLine("if (update)");
        w.OpenBrace();
        w.WriteLine("_lastGradientNorm = norm; // TrainStep only: the norm before clipping, NaN without ClipGradientNorm, as on the CPU");
        w.CloseBrace();
        w.WriteLine();
        w.WriteLine("// The finiteness check without copying the gradients back: Σg² in double over every gradient tensor (summed on the");
        w.WriteLine("// device, back with the loss) is finite exactly when every element is (a finite float squared never overflows a double).");
        w.WriteLine("if (!double.IsFinite(loss) || !double.IsFinite(squares))");
        w.OpenBrace();
        if (buffers)
        {
            w.WriteLine(CudaFloatBuffers(plan).Count > 0 ? "cuda.RestoreBuffers();" : "// no float buffers");
            if (plan.CounterCount > 0)
            {
                w.WriteLine("_countersBefore.CopyTo(_core.Counters, 0);");
            }
        }

        w.WriteLine("cuda.Download(_core.Params, _core.Grads, _core.OptimizerState()); // the host mirror, so that the message names the tensor");
        w.WriteLine($"global::NetGen.Guard.ThrowNonFiniteStep(loss, _core.Grads, s_parameters, call, \"{name}\");");
        w.CloseBrace();
        w.WriteLine();
        w.WriteLine("if (update)");
        w.OpenBrace();
        w.WriteLine("_step++;");
        w.WriteLine("cuda.Step(_step, _learningRate);");
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
        const string View = "global::NetGen.Cuda.DeviceView";
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

        List<StatePlan> regularized = Regularized(plan);
        string terms = loss.CudaLossTermPerOutput ? I(plan.OutputSize) : "1";
        string divisor = loss.CudaLossDivisor(I(plan.OutputSize));
        CudaSlots slots = CudaResultSlots(plan);
        int gradientSlot = slots.Gradients;
        int results = slots.Count;
        bool soft = loss.AcceptsProbabilities;
        bool floatBuffers = CudaFloatBuffers(plan).Count > 0;
        w.WriteLine("/// <summary>The CUDA core (Backend.Cuda): the nodes of Core&lt;T&gt; in the same order with the same formulas, as launches of");
        w.WriteLine("/// NetGen's kernels (NetGen.Cuda.CudaKernels) on views into two device arenas (docs/adr/0045-device-arenas-dispose-and-cuda-graphs.md):");
        w.WriteLine("/// the state arena (parameters, gradients, optimizer state, the step's results: one allocation for the life of the instance)");
        w.WriteLine("/// and the activation arena (the per-row tensors: sized for the largest batch so far, never shrunk). The launch methods");
        w.WriteLine("/// (Forward, Loss, Backward, RegularizationBackward, Sums, Update) only launch: the public methods copy the inputs in, run");
        w.WriteLine("/// them as a CUDA graph per kind of call and batch size (captured once, replayed with this call's scalars) or launch by");
        w.WriteLine("/// launch (Graphs = false), and copy the results back. All on one stream, in order.</summary>");
        w.WriteLine("private sealed class CudaCore : global::System.IDisposable");
        w.OpenBrace();
        w.WriteLine($"private const long GradientGraph = 1L << 32, PredictGraph = 2L << 32, UpdateGraph = 3L << 32{(soft ? ", SoftGradientGraph = 4L << 32" : string.Empty)}, ClippedByValue = 1L << 40, ClippedByNorm = 1L << 41; // graph keys: the kind | the clipping | B");
        w.WriteLine("private readonly global::NetGen.Cuda.CudaNetworkRuntime _rt;");
        w.WriteLine("private readonly global::NetGen.Cuda.CudaKernels _k;");
        w.WriteLine();
        w.WriteLine($"// Parameters (state_dict order), their gradients{(stateFields.Count > 0 ? " and the optimizer state (" + string.Join(", ", stateFields) + ")" : string.Empty)}: views into the state arena.");
        var stateLengths = new List<string>();
        foreach (StatePlan s in parameters)
        {
            string c = EmitNames.StateConst(s);
            var fields = new List<string> { "P_" + c, "G_" + c };
            foreach (string f in stateFields)
            {
                fields.Add(f + "_" + c);
            }

            foreach (string f in fields)
            {
                stateLengths.Add("4L * " + I(s.Length));
            }

            w.WriteLine($"private readonly {View}<float> {string.Join(", ", fields)}; // \"{s.Key}\" {Shape(s.Shape)}");
        }

        stateLengths.Add("8L * " + I(results));
        w.WriteLine($"// The step's results in double, copied back in one piece: [0] Σ loss terms{(regularized.Count > 0 ? $", [1..{I(gradientSlot - 1)}] Σw² (L2, NormBound) and Σ|w| (L1) of the regularised tensors" : string.Empty)}, then Σg² of each gradient{(slots.Bounds > 0 ? ", then Σw² of each NormBound tensor after the update" : string.Empty)}.");
        w.WriteLine($"private readonly {View}<double> _results;");
        w.WriteLine($"private readonly double[] _host = new double[{I(results)}];");
        w.WriteLine();
        w.WriteLine("// Per-row views [B, n] into the activation arena, laid out for the rows of the call: the input, each stored node output and");
        w.WriteLine("// cache, each gradient, the targets and the loss terms.");
        w.WriteLine("private int _rows;");
        w.WriteLine($"private {View}<float> _x; // input [B, {I(plan.InputSize)}]");
        var perRow = new List<(string Field, string Type, string Length)> { ("_x", "float", I(plan.InputSize)) };
        foreach (NodePlan node in plan.Nodes)
        {
            TensorPlan t = plan.Tensors[node.Output];
            if (CudaStored(cuda, node))
            {
                string field = CudaNodeContext.Tensor(plan, node.Output);
                string fused = cuda.Nodes[node.Ordinal].FusedIntoPrevious ? $" (the store of [{plan.Nodes[node.Ordinal - 1].Label}]'s GEMM epilogue)" : string.Empty;
                w.WriteLine($"private {View}<float> {field}; // {node.Name} output [B, {I(t.Length)}]{fused}");
                perRow.Add((field, "float", I(t.Length)));
            }

            foreach (CachePlan cache in plan.Caches)
            {
                if (cache.Node == node.Ordinal && cache.PerSample) // the fixed-size ones: EmitCudaStateFields
                {
                    string field = "A_" + EmitNames.CacheConst(node, cache.Local);
                    string type = cache.IsInt ? "int" : "float";
                    w.WriteLine($"private {View}<{type}> {field}; // {node.Name} {cache.Local} [B, {I(cache.Length)}]");
                    perRow.Add((field, type, I(cache.Length)));
                }
            }
        }

        for (int id = 0; id < plan.Tensors.Count; id++)
        {
            if (cuda.GradientBuffers[id])
            {
                string field = CudaNodeContext.Gradient(plan, id);
                string what = id == 0 ? "the input (written by the first layer's kernel, never read)" : plan.Nodes[plan.Tensors[id].Producer].Name + " output";
                int[] gradientStorage = CudaLowering.GradientStorage(plan);
                var shared = new List<string>();
                for (int other = 0; other < plan.Tensors.Count; other++)
                {
                    if (other != id && gradientStorage[other] == id)
                    {
                        shared.Add(other == 0 ? "the input" : plan.Nodes[plan.Tensors[other].Producer].Name);
                    }
                }

                string also = shared.Count > 0 ? $"; also ∂L/∂ of {string.Join(", ", shared)}, passed through unchanged" : string.Empty;
                w.WriteLine($"private {View}<float> {field}; // ∂L/∂({what}) [B, {I(plan.Tensors[id].Length)}]{also}");
                perRow.Add((field, "float", I(plan.Tensors[id].Length)));
            }
        }

        for (int id = 0; id < plan.Tensors.Count; id++)
        {
            if (CudaLowering.NeedsContribution(plan, id))
            {
                string field = CudaNodeContext.Contribution(plan, id);
                string what = id == 0 ? "the input" : plan.Nodes[plan.Tensors[id].Producer].Name + " output";
                w.WriteLine($"private {View}<float> {field}; // a second consumer's part of ∂L/∂({what}) [B, {I(plan.Tensors[id].Length)}], added to {CudaNodeContext.Gradient(plan, id)}");
                perRow.Add((field, "float", I(plan.Tensors[id].Length)));
            }
        }

        w.WriteLine(classes
            ? $"private {View}<int> _targets; // labels [B]"
            : $"private {View}<float> _targets; // targets [B, {I(plan.OutputSize)}]");
        perRow.Add(("_targets", classes ? "int" : "float", classes ? "1" : I(plan.OutputSize)));
        if (soft)
        {
            w.WriteLine($"private {View}<float> _targetProbabilities; // target distributions [B, {I(plan.OutputSize)}] (soft targets)");
            perRow.Add(("_targetProbabilities", "float", I(plan.OutputSize)));
        }

        w.WriteLine($"private {View}<double> _lossTerms; // loss terms in double [B{(terms == "1" ? string.Empty : ", " + terms)}]");
        perRow.Add(("_lossTerms", "double", terms));
        foreach ((string field, string type, string length, string comment) in loss.CudaRowBuffers(plan))
        {
            w.WriteLine($"private {View}<{type}> {field}; // {comment}");
            perRow.Add((field, type, length));
        }
        if (HasNormBound(plan))
        {
            w.WriteLine();
            w.WriteLine("/// <summary>The host's buffer arena (Core.Buffers), where NormBound's multipliers α live: set by the constructor. The");
            w.WriteLine("/// launches read α as a scalar argument (a replay rewrites the nodes when it changed).</summary>");
            w.WriteLine("public float[] HostBuffers = global::System.Array.Empty<float>();");
        }

        EmitCudaStateFields(w, cpu, cuda);
        loss.EmitCudaFields(w, plan);
        w.WriteLine();
        w.WriteLine("// This call's values, read by the launch methods when they run, are captured or are replayed (a replay rewrites the nodes");
        w.WriteLine("// whose arguments changed: the learning rate and step of the update, the dropout keys).");
        w.WriteLine("private int _B;");
        w.WriteLine("private ulong _seed;");
        w.WriteLine("private long _step;");
        w.WriteLine("private double _learningRate;");
        w.WriteLine("private double? _clipValue, _clipNorm; // ClipGradientValue and ClipGradientNorm of this TrainStep (null: none; ComputeGradients never clips)");
        w.WriteLine($"private readonly global::System.Action _gradientLaunches, {(soft ? "_softGradientLaunches, " : string.Empty)}_predictLaunches, _updateLaunches;");
        w.WriteLine();
        w.WriteLine("/// <summary>Opens GPU 0, loads the kernels and allocates the state arena: the parameters (uploaded by Upload), their");
        w.WriteLine("/// gradients and the optimizer state (zero), in one allocation.</summary>");
        w.WriteLine(plan.CounterCount > 0 ? "public CudaCore(long[] counters)" : "public CudaCore()");
        w.OpenBrace();
        w.WriteLine($"_rt = new global::NetGen.Cuda.CudaNetworkRuntime(\"{plan.ClassName}\");");
        w.WriteLine("_k = _rt.Kernels;");
        w.WriteLine($"global::NetGen.Cuda.DeviceArena state = _rt.State(global::NetGen.Cuda.DeviceArena.Size({string.Join(", ", stateLengths)}));");
        foreach (StatePlan s in parameters)
        {
            string c = EmitNames.StateConst(s);
            w.WriteLine($"P_{c} = state.Take<float>({I(s.Length)});");
            w.WriteLine($"G_{c} = state.Take<float>({I(s.Length)});");
            foreach (string f in stateFields)
            {
                w.WriteLine($"{f}_{c} = state.Take<float>({I(s.Length)});");
            }
        }

        w.WriteLine($"_results = state.Take<double>({I(results)});");
        EmitCudaStateAllocations(w, plan);
        loss.EmitCudaAllocations(w, plan);
        w.WriteLine("_gradientLaunches = () =>");
        w.OpenBrace();
        w.WriteLine("DataGradients(_B, soft: false);");
        w.WriteLine("ClipByValue();");
        w.WriteLine("ClipByNorm();");
        w.WriteLine("RegularizationBackward();");
        w.WriteLine("Sums();");
        w.CloseBrace(";");
        if (soft)
        {
            w.WriteLine("_softGradientLaunches = () =>");
            w.OpenBrace();
            w.WriteLine("DataGradients(_B, soft: true);");
            w.WriteLine("ClipByValue();");
            w.WriteLine("ClipByNorm();");
            w.WriteLine("RegularizationBackward();");
            w.WriteLine("Sums();");
            w.CloseBrace(";");
        }

        if (loss.CudaPredictLaunch(plan, output) is string tail)
        {
            w.WriteLine("_predictLaunches = () =>");
            w.OpenBrace();
            w.WriteLine("Forward(_B, training: false, _seed, _step);");
            w.WriteLine(tail);
            w.CloseBrace(";");
        }
        else
        {
            w.WriteLine("_predictLaunches = () => Forward(_B, training: false, _seed, _step);");
        }
        w.WriteLine("_updateLaunches = () => Update(_step, _learningRate);");
        w.CloseBrace();
        w.WriteLine();
        w.WriteLine("/// <summary>CUDA graphs (true) or launch by launch (false).</summary>");
        w.WriteLine("public bool Graphs");
        w.OpenBrace();
        w.WriteLine("get => _rt.Graphs;");
        w.WriteLine("set => _rt.Graphs = value;");
        w.CloseBrace();
        w.WriteLine();
        w.WriteLine("/// <summary>Frees the arenas, the graphs, the stream and the kernels (idempotent); every call afterwards throws.</summary>");
        w.WriteLine("public void Dispose() => _rt.Dispose();");
        w.WriteLine();
        w.WriteLine("/// <summary>Lays the per-row views out for <paramref name=\"B\"/> rows in the activation arena, which grows only when B is");
        w.WriteLine("/// larger than every B before (the launches read a view's length).</summary>");
        w.WriteLine("private void Rows(int B)");
        w.OpenBrace();
        w.WriteLine("if (B == _rows)");
        w.OpenBrace();
        w.WriteLine("return;");
        w.CloseBrace();
        w.WriteLine();
        w.WriteLine("_rows = B;");
        var rowBytes = new List<string>();
        foreach ((string _, string type, string length) in perRow)
        {
            string size = type == "double" ? "8L" : "4L";
            rowBytes.Add(length == "1" ? $"{size} * B" : $"{size} * B * {length}");
        }

        w.WriteLine($"global::NetGen.Cuda.DeviceArena a = _rt.Activations(global::NetGen.Cuda.DeviceArena.Size({string.Join(", ", rowBytes)}));");
        foreach ((string field, string type, string length) in perRow)
        {
            w.WriteLine(length == "1" ? $"{field} = a.Take<{type}>(B);" : $"{field} = a.Take<{type}>(B * {length});");
        }

        w.CloseBrace();
        w.WriteLine();

        // Host mirror.
        w.WriteLine("/// <summary>Host → device: the parameters (an arena laid out as s_parameters) and the optimizer state arrays.</summary>");
        w.WriteLine("public void Upload(float[] parameters, float[][] optimizerState)");
        w.OpenBrace();
        w.WriteLine("_rt.Enter();");
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
        w.WriteLine("_rt.Enter();");
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

        // Predict.
        w.WriteLine("/// <summary>Inference, MaxBatch rows at a time: each chunk's input in, the forward graph of its B, its output back.</summary>");
        w.WriteLine("public void Predict(global::System.ReadOnlySpan<float> inputs, global::System.Span<float> outputs, int rows, ulong seed, long step)");
        w.OpenBrace();
        w.WriteLine("_rt.Enter();");
        w.WriteLine("for (int start = 0; start < rows; start += MaxBatch)");
        w.OpenBrace();
        w.WriteLine("int B = global::System.Math.Min(MaxBatch, rows - start);");
        w.WriteLine("Rows(B);");
        w.WriteLine("_x.CopyFrom(inputs.Slice(start * InputSize, B * InputSize));");
        w.WriteLine("_B = B;");
        w.WriteLine("_seed = seed;");
        w.WriteLine("_step = step;");
        w.WriteLine("_rt.Run(PredictGraph | (uint)B, _predictLaunches);");
        w.WriteLine($"{loss.CudaPredictOutput(output)}.CopyTo(outputs.Slice(start * OutputSize, B * OutputSize));");
        w.CloseBrace();
        w.CloseBrace();
        w.WriteLine();
        loss.EmitCudaCoreMembers(w, plan, output);

        // The step's device part and its results.
        EmitCudaGradients(w, plan, classes ? "int" : "float", classes ? "labels" : "targets", "Gradients", "GradientGraph", "_gradientLaunches", "_targets", divisor, slots);
        if (soft)
        {
            EmitCudaGradients(w, plan, "float", "targetProbabilities", "SoftGradients", "SoftGradientGraph", "_softGradientLaunches", "_targetProbabilities", "B", slots);
        }

        w.WriteLine("/// <summary>The optimizer step (the update graph): <paramref name=\"step\"/> counts updates from 1, <paramref name=\"learningRate\"/>");
        w.WriteLine("/// is the network's LearningRate now; a replay rewrites the update nodes with them.</summary>");
        w.WriteLine("public void Step(long step, double learningRate)");
        w.OpenBrace();
        w.WriteLine("_rt.Enter();");
        w.WriteLine("_step = step;");
        w.WriteLine("_learningRate = learningRate;");
        w.WriteLine("_rt.Run(UpdateGraph, _updateLaunches);");
        EmitCudaDualAscent(w, plan, slots);
        w.CloseBrace();
        w.WriteLine();
        EmitCudaBufferMethods(w, plan);

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
        w.WriteLine($"/// <summary>Forward launches: x[B, {I(plan.InputSize)}] (in _x) → output[B, {I(plan.OutputSize)}] on the device; the same nodes and formulas as Core&lt;T&gt;.Forward.</summary>");
        w.WriteLine("private void Forward(int B, bool training, ulong seed, long step)");
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

        foreach (NodePlan node in plan.Nodes)
        {
            var c = new NodeContext(cpu, node) { Cuda = true };
            LayerEntry entry = LayerCatalog.Get(node.Kind);
            CudaNode lowered = cuda.Nodes[node.Ordinal];
            NodeHeader(w, c, string.Empty);
            string then = lowered.Epilogue is not null ? $", then {LayerCatalog.Get(plan.Nodes[node.Ordinal + 1].Kind).ForwardFormula(new NodeContext(cpu, plan.Nodes[node.Ordinal + 1]) { Cuda = true })} → output of [{plan.Nodes[node.Ordinal + 1].Label}]" : string.Empty;
            w.WriteLine("// " + entry.ForwardFormula(c) + then);
            entry.EmitCudaForward(w, new CudaNodeContext(cuda, c));
            if (node.Ordinal < plan.Nodes.Count - 1)
            {
                w.WriteLine();
            }
        }

        w.CloseBrace();
    }

    /// <summary>The slots of CudaCore._results: [0] Σ loss terms; per regularised tensor Σw² (L2 or NormBound) and Σ|w| (L1);
    /// Σg² of each gradient from <see cref="Gradients"/>; Σw² of each NormBound tensor after the update from <see cref="BoundsAfter"/>;
    /// clipping by norm's Σg² of each gradient before clipping from <see cref="ClipSquares"/> and their sum at <see cref="GlobalSquares"/>.</summary>
    private sealed class CudaSlots
    {
        public Dictionary<StatePlan, int> Squares { get; } = [];

        public Dictionary<StatePlan, int> Absolutes { get; } = [];

        public Dictionary<StatePlan, int> BoundsAfterUpdate { get; } = [];

        public int Gradients { get; set; }

        public int BoundsAfter { get; set; }

        public int Bounds => BoundsAfterUpdate.Count;

        public int ClipSquares { get; set; }

        public int GlobalSquares { get; set; }

        public int Count { get; set; }
    }

    private static CudaSlots CudaResultSlots(Plan plan)
    {
        var slots = new CudaSlots();
        int next = 1;
        foreach (StatePlan p in Regularized(plan))
        {
            if (p.L2 > 0 || p.NormBound > 0)
            {
                slots.Squares[p] = next++;
            }

            if (p.L1 > 0)
            {
                slots.Absolutes[p] = next++;
            }
        }

        slots.Gradients = next;
        foreach (StatePlan s in plan.State)
        {
            if (s.Role == StateRole.Parameter)
            {
                next++;
            }
        }

        slots.BoundsAfter = next;
        foreach (StatePlan s in plan.State)
        {
            if (s.Role == StateRole.Parameter && s.NormBound > 0)
            {
                slots.BoundsAfterUpdate[s] = next++;
            }
        }

        slots.ClipSquares = next;
        foreach (StatePlan s in plan.State)
        {
            if (s.Role == StateRole.Parameter)
            {
                next++;
            }
        }

        slots.GlobalSquares = next++;
        slots.Count = next;
        return slots;
    }

    /// <summary>CudaCore.Gradients (or SoftGradients, against target distributions): the gradient graph, or launch by launch
    /// when clipping by norm; the results back in one copy.</summary>
    private static void EmitCudaGradients(SourceWriter w, Plan plan, string type, string targets, string method, string graph, string launches, string field, string divisor, CudaSlots slots)
    {
        bool soft = method == "SoftGradients";
        w.WriteLine("/// <summary>Forward, loss, backward, gradient clipping, the regularisation gradients and the sums of the finiteness check on the");
        w.WriteLine("/// device (the gradient graph of this B and clipping): the inputs and targets in, the results (a few doubles) back in one");
        w.WriteLine("/// copy. Returns the mean loss with its regularisation terms, in");
        w.WriteLine("/// <paramref name=\"squares\"/> Σg² over every gradient and in <paramref name=\"norm\"/> ‖g‖ before clipping (NaN without a maximum).</summary>");
        w.WriteLine($"public double {method}(global::System.ReadOnlySpan<float> inputs, global::System.ReadOnlySpan<{type}> {targets}, int B, ulong seed, long step, double? clipValue, double? clipNorm, out double squares, out double norm)");
        w.OpenBrace();
        w.WriteLine("_rt.Enter();");
        w.WriteLine("Rows(B);");
        w.WriteLine("_x.CopyFrom(inputs);");
        w.WriteLine($"{field}.CopyFrom({targets});");
        w.WriteLine("_B = B;");
        w.WriteLine("_seed = seed;");
        w.WriteLine("_step = step;");
        w.WriteLine("_clipValue = clipValue;");
        w.WriteLine("_clipNorm = clipNorm;");
        w.WriteLine($"_rt.Run({graph} | (clipValue is null ? 0L : ClippedByValue) | (clipNorm is null ? 0L : ClippedByNorm) | (uint)B, {launches});");
        w.WriteLine("_results.CopyTo(_host);");
        w.WriteLine($"norm = clipNorm is null ? double.NaN : global::System.Math.Sqrt(_host[{I(slots.GlobalSquares)}]); // ‖g‖ before clipping");
        w.WriteLine($"double loss = _host[0] / {(divisor == "B" ? "B" : "(" + divisor + ")")}; // the mean of the loss terms");
        List<StatePlan> regularized = Regularized(plan);
        if (regularized.Count > 0)
        {
            w.WriteLine("double penalty = 0; // the regularisation terms");
            foreach (StatePlan p in regularized)
            {
                if (p.L2 > 0)
                {
                    w.WriteLine($"penalty += 0.5 * {LayerCatalog.F(p.L2)} * _host[{I(slots.Squares[p])}]; // L2 on \"{p.Key}\": ½·λ₂·Σw²");
                }

                if (p.L1 > 0)
                {
                    w.WriteLine($"penalty += {LayerCatalog.F(p.L1)} * _host[{I(slots.Absolutes[p])}]; // L1 on \"{p.Key}\": λ₁·Σ|w|");
                }

                if (p.NormBound > 0)
                {
                    w.WriteLine($"penalty += (double)HostBuffers[{CudaMultiplier(plan, p)}] * ((0.5 * _host[{I(slots.Squares[p])}]) - {LayerCatalog.F(p.NormBound)}); // constraint on \"{p.Key}\": α·(½·‖W‖²_F − k), k = {LayerCatalog.F(p.NormBound)}");
                }
            }

            w.WriteLine("loss += penalty;");
        }

        w.WriteLine("squares = 0;");
        w.WriteLine($"for (int i = {I(slots.Gradients)}; i < {I(slots.BoundsAfter)}; i++)");
        w.OpenBrace();
        w.WriteLine("squares += _host[i];");
        w.CloseBrace();
        w.WriteLine();
        w.WriteLine("return loss;");
        w.CloseBrace();
        w.WriteLine();
    }

    /// <summary>After the update graph: NormBound's dual ascent on the host, from Σw² the graph left in _results.</summary>
    private static void EmitCudaDualAscent(SourceWriter w, Plan plan, CudaSlots slots)
    {
        if (slots.Bounds == 0)
        {
            return;
        }

        w.WriteLine("// ── explicit constraint Ω(W) = ½·‖W‖²_F ≤ k: dual ascent on the multiplier after the step, α ← max(0, α + ρ·(Ω(W) − k)),");
        w.WriteLine("// Ω in double on the device (summed by the update graph into _results, back in one copy), α in the host arena rounded once to float");
        w.WriteLine("_results.CopyTo(_host);");
        foreach (StatePlan s in plan.State)
        {
            if (slots.BoundsAfterUpdate.TryGetValue(s, out int slot))
            {
                string alpha = $"HostBuffers[{CudaMultiplier(plan, s)}]";
                w.WriteLine($"{alpha} = (float)global::System.Math.Max(0.0, (double){alpha} + ({LayerCatalog.F(s.DualRate)} * ((0.5 * _host[{I(slot)}]) - {LayerCatalog.F(s.NormBound)}))); // \"{s.Key}\": k = {LayerCatalog.F(s.NormBound)}, ρ = {LayerCatalog.F(s.DualRate)}");
            }
        }
    }

    private static void EmitCudaLoss(SourceWriter w, CpuPlan cpu, CudaPlan cuda)
    {
        Plan plan = cpu.Plan;
        LossEntry loss = LossCatalog.Get(plan.Training.Loss);
        NodePlan last = plan.Nodes[plan.Nodes.Count - 1];
        CudaSlots slots = CudaResultSlots(plan);
        bool floatBuffers = CudaFloatBuffers(plan).Count > 0;
        w.WriteLine("/// <summary>The data gradients: forward, loss and backward (the buffers kept first, to put back on a refused step).</summary>");
        w.WriteLine("private void DataGradients(int B, bool soft)");
        w.OpenBrace();
        if (floatBuffers)
        {
            w.WriteLine("KeepBuffers(); // the forward pass updates the running statistics");
        }

        w.WriteLine("Forward(B, training: true, _seed, _step);");
        if (loss.AcceptsProbabilities)
        {
            w.WriteLine("if (soft)");
            w.OpenBrace();
            w.WriteLine("ProbabilityLoss(B);");
            w.CloseBrace();
            w.WriteLine("else");
            w.OpenBrace();
            w.WriteLine("Loss(B);");
            w.CloseBrace();
            w.WriteLine();
        }
        else
        {
            w.WriteLine("_ = soft; // no soft targets for this loss");
            w.WriteLine("Loss(B);");
        }

        w.WriteLine("Backward(B);");
        w.CloseBrace();
        w.WriteLine();
        w.WriteLine("/// <summary>Loss launches: ∂L/∂output on the device, the loss terms summed into _results[0] and, for the regularisation");
        w.WriteLine("/// terms, Σw² (L2, NormBound) and Σ|w| (L1) of each regularised tensor into the next slots (Gradients combines them on the host).</summary>");
        w.WriteLine("private void Loss(int B)");
        w.OpenBrace();
        w.WriteLine($"// ── loss: {loss.Title(plan.Training)} over output[B, {I(plan.OutputSize)}] (PyTorch: {loss.TorchEquivalent(plan.Training)})");
        foreach (string line in loss.Formula(plan.Training))
        {
            w.WriteLine("// " + line);
        }

        loss.EmitCudaLossCall(w, plan, CudaNodeContext.Tensor(plan, last.Output), CudaNodeContext.Gradient(plan, last.Output));
        string count = loss.CudaLossTermPerOutput ? "B * " + I(plan.OutputSize) : "B";
        w.WriteLine($"_k.Sum(_lossTerms, {count}, _results.Slice(0, 1)); // ng_reduce_sum_f64 (one block, a fixed tree): Σ terms → _results[0]");
        EmitCudaPenaltySums(w, plan, slots);
        w.CloseBrace();
        if (loss.AcceptsProbabilities)
        {
            w.WriteLine();
            w.WriteLine("/// <summary>As Loss, against target distributions [B, C] (soft targets, in _targetProbabilities).</summary>");
            w.WriteLine("private void ProbabilityLoss(int B)");
            w.OpenBrace();
            w.WriteLine($"// ── loss: {loss.Title(plan.Training)} against probability rows t over output[B, {I(plan.OutputSize)}] (PyTorch: {loss.TorchEquivalentForProbabilities(plan.Training)})");
            foreach (string line in loss.ProbabilityFormula(plan.Training))
            {
                w.WriteLine("// " + line);
            }

            loss.EmitCudaProbabilityLoss(w, plan.Training, CudaNodeContext.Tensor(plan, last.Output), CudaNodeContext.Gradient(plan, last.Output), I(plan.OutputSize));
            w.WriteLine("_k.Sum(_lossTerms, B, _results.Slice(0, 1)); // ng_reduce_sum_f64 (one block, a fixed tree): Σ terms → _results[0]");
            EmitCudaPenaltySums(w, plan, slots);
            w.CloseBrace();
        }
    }

    private static void EmitCudaPenaltySums(SourceWriter w, Plan plan, CudaSlots slots)
    {
        List<StatePlan> regularized = Regularized(plan);
        if (regularized.Count == 0)
        {
            return;
        }

        w.WriteLine();
        w.WriteLine("// ── regularisation: ½·λ₂·Σw² (WeightDecay) + λ₁·Σ|w| (L1) (+ NormBound's α·(½·‖W‖²_F − k)); Σw² and Σ|w| in double");
        w.WriteLine("// (ng_sum_squares_f64, ng_sum_abs_f64: one block, a fixed tree)");
        foreach (StatePlan p in regularized)
        {
            string c = EmitNames.StateConst(p);
            if (slots.Squares.TryGetValue(p, out int sq))
            {
                w.WriteLine($"_k.SumOfSquares(P_{c}, _results.Slice({I(sq)}, 1)); // {(p.L2 > 0 ? "L2" : "NormBound")} on \"{p.Key}\": Σw² → _results[{I(sq)}]");
            }

            if (slots.Absolutes.TryGetValue(p, out int ab))
            {
                w.WriteLine($"_k.SumOfAbsolutes(P_{c}, _results.Slice({I(ab)}, 1)); // L1 on \"{p.Key}\": Σ|w| → _results[{I(ab)}]");
            }
        }
    }

    private static void EmitCudaBackward(SourceWriter w, CpuPlan cpu, CudaPlan cuda)
    {
        Plan plan = cpu.Plan;
        w.WriteLine("/// <summary>Backward: the same nodes in reverse order, from ∂L/∂output (left by Loss) to every parameter gradient of the data");
        w.WriteLine("/// loss; each parameter gradient has one writer, which overwrites it. Every gradient has its own buffer, but a residual addition's");
        w.WriteLine("/// inputs share its output's (the gradient passes through unchanged), and a tensor's second consumer adds its part with ng_add.</summary>");
        w.WriteLine("private void Backward(int B)");
        w.OpenBrace();
        for (int i = plan.Nodes.Count - 1; i >= 0; i--)
        {
            NodePlan node = plan.Nodes[i];
            var c = new NodeContext(cpu, node) { Cuda = true };
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
        w.WriteLine("private void RegularizationBackward()");
        w.OpenBrace();
        List<StatePlan> regularized = Regularized(plan);
        w.WriteLine(regularized.Count == 0
            ? "// no regularisation (WeightDecay = 0)"
            : "// ── regularisation · backward: dW += λ₂·W, by ng_sgd (p += (−lr)·g) with p = dW, g = W and lr = −λ₂");
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
                // Launched at α = 0 too (dW + 0·W is dW for finite W): the launch sequence never depends on α, so the graph keeps it.
                w.WriteLine($"_k.AddL2Gradient(P_{c}, G_{c}, HostBuffers[{CudaMultiplier(plan, p)}]); // \"{p.Key}\": dW += α·W, the Lagrangian's term at the current α (ng_add_l2_gradient; a replay rewrites α)");
            }
        }

        w.CloseBrace();
        w.WriteLine();
        w.WriteLine("/// <summary>Gradient clipping by value of the data loss's gradient (TrainStep with ClipGradientValue): g = clamp(g, −c, c),");
        w.WriteLine("/// PyTorch's clip_grad_value_; c is a scalar argument (a replay rewrites it).</summary>");
        w.WriteLine("private void ClipByValue()");
        w.OpenBrace();
        w.WriteLine("if (_clipValue is not double value)");
        w.OpenBrace();
        w.WriteLine("return;");
        w.CloseBrace();
        w.WriteLine();
        foreach (StatePlan s in plan.State)
        {
            if (s.Role == StateRole.Parameter)
            {
                w.WriteLine($"_k.ClipByValue(G_{EmitNames.StateConst(s)}, value); // ng_clip_by_value");
            }
        }

        w.CloseBrace();
        w.WriteLine();
        w.WriteLine("/// <summary>Gradient clipping by the global norm over every parameter gradient (TrainStep with ClipGradientNorm; PyTorch's");
        w.WriteLine("/// clip_grad_norm_): Σg² of each tensor and their sum in double into _results, then g·max/(‖g‖ + 1e-6) when that factor is");
        w.WriteLine("/// below 1, decided on the device (ng_clip_by_norm): nothing comes back mid-step. The maximum is a scalar argument.</summary>");
        w.WriteLine("private void ClipByNorm()");
        w.OpenBrace();
        w.WriteLine("if (_clipNorm is not double max)");
        w.OpenBrace();
        w.WriteLine("return;");
        w.CloseBrace();
        w.WriteLine();
        CudaSlots clip = CudaResultSlots(plan);
        int count = 0;
        foreach (StatePlan s in plan.State)
        {
            if (s.Role == StateRole.Parameter)
            {
                w.WriteLine($"_k.SumOfSquares(G_{EmitNames.StateConst(s)}, _results.Slice({I(clip.ClipSquares + count)}, 1));");
                count++;
            }
        }

        w.WriteLine($"_k.Sum(_results.Slice({I(clip.ClipSquares)}, {I(count)}), {I(count)}, _results.Slice({I(clip.GlobalSquares)}, 1)); // ‖g‖² over every gradient (ng_reduce_sum_f64)");
        foreach (StatePlan s in plan.State)
        {
            if (s.Role == StateRole.Parameter)
            {
                w.WriteLine($"_k.ScaleToNorm(G_{EmitNames.StateConst(s)}, max, _results.Slice({I(clip.GlobalSquares)}, 1)); // ng_clip_by_norm");
            }
        }

        w.CloseBrace();
        w.WriteLine();
        w.WriteLine("/// <summary>The finiteness check's launches: Σg² in double of each parameter gradient into _results (finite exactly when every");
        w.WriteLine("/// gradient element is).</summary>");
        w.WriteLine("private void Sums()");
        w.OpenBrace();
        int slot = CudaResultSlots(plan).Gradients;
        foreach (StatePlan s in plan.State)
        {
            if (s.Role == StateRole.Parameter)
            {
                w.WriteLine($"_k.SumOfSquares(G_{EmitNames.StateConst(s)}, _results.Slice({I(slot)}, 1));");
                slot++;
            }
        }

        w.CloseBrace();
    }

    private static void EmitCudaUpdate(SourceWriter w, CpuPlan cpu, List<StatePlan> parameters)
    {
        Plan plan = cpu.Plan;
        OptimizerEntry optimizer = OptimizerCatalog.Get(plan.Training.Optimizer);
        w.WriteLine("/// <summary>Optimizer launches, one per parameter tensor; <paramref name=\"step\"/> counts updates from 1;");
        w.WriteLine("/// <paramref name=\"learningRate\"/> is the network's LearningRate at this step.</summary>");
        w.WriteLine("private void Update(long step, double learningRate)");
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

        CudaSlots slots = CudaResultSlots(plan);
        if (slots.Bounds > 0)
        {
            w.WriteLine("// ── NormBound: Ω(W) = ½·‖W‖²_F after the step, Σw² in double into _results for the dual ascent on the host (Step)");
            foreach (StatePlan s in parameters)
            {
                if (slots.BoundsAfterUpdate.TryGetValue(s, out int slot))
                {
                    w.WriteLine($"_k.SumOfSquares(P_{EmitNames.StateConst(s)}, _results.Slice({I(slot)}, 1)); // \"{s.Key}\": Σw² → _results[{I(slot)}]");
                }
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
