using System.Linq;
using NetGen.Generator.Catalog;
using NetGen.Generator.Lowering;
using NetGen.Generator.Planner;

namespace NetGen.Generator.Emitter;

internal static partial class NetworkEmitter
{
    /// <summary>The public surface: constructor, inference, training, gradients, parameters, buffers, save/load, summary,
    /// grad check. The training members take the loss's target kind: class indices (int) or dense float targets.</summary>
    private static void EmitApi(SourceWriter w, CpuPlan cpu, bool cuda)
    {
        Plan plan = cpu.Plan;
        string name = plan.ClassName;
        LossEntry loss = LossCatalog.Get(plan.Training.Loss);
        bool classes = loss.Target == TargetKind.ClassIndex;
        string targetType = classes ? "int" : "float";
        string targets = classes ? "labels" : "targets";
        bool buffers = plan.BufferCount + plan.CounterCount > 0;
        int minimumBatch = 1;
        string minimumReason = string.Empty;
        foreach (NodePlan node in plan.Nodes)
        {
            LayerEntry entry = LayerCatalog.Get(node.Kind);
            int minimum = entry.MinimumTrainingBatch(new NodeContext(cpu, node));
            if (minimum > minimumBatch)
            {
                minimumBatch = minimum;
                minimumReason = $"layer '{node.Name}' ({entry.Kind}): {entry.MinimumTrainingBatchReason}";
            }
        }

        string guard = classes
            ? $"int B = global::NetGen.Guard.Batch(inputs, labels, InputSize, OutputSize, MaxBatch, \"{name}\");"
            : $"int B = global::NetGen.Guard.{loss.TargetGuard}(inputs, targets, InputSize, OutputSize, MaxBatch, \"{name}\");";
        string trainingGuard = minimumBatch > 1 ? $"global::NetGen.Guard.MinimumTrainingBatch(B, {I(minimumBatch)}, \"{name}\", \"{minimumReason}\");" : string.Empty;

        w.WriteLine("private readonly Core<float> _core = new Core<float>();");
        w.WriteLine("private ulong _seed; // set by the constructor and by LoadTrainingState");
        w.WriteLine("private long _step;");
        w.WriteLine($"private double _learningRate = {LayerCatalog.F(plan.Training.LearningRate)}; // the declared LearningRate; schedules change it");
        w.WriteLine("private double? _clipGradientValue;");
        w.WriteLine("private double? _clipGradientNorm;");
        w.WriteLine("private double _lastGradientNorm = double.NaN;");
        if (buffers)
        {
            w.WriteLine("// Buffers and counters as they were before the forward pass of the current training call, put back if the step is refused.");
            w.WriteLine("private readonly float[] _buffersBefore = new float[BufferCount];");
            w.WriteLine($"private readonly long[] _countersBefore = new long[{I(plan.CounterCount)}];");
        }
        w.WriteLine();
        w.WriteLine("/// <summary>Creates the network; every parameter tensor is initialised from its own counter-based stream keyed by");
        w.WriteLine("/// (<paramref name=\"seed\"/>, tensor index), so the same seed gives the same network on any machine.</summary>");
        w.WriteLine($"public {EmitNames.Identifier(name)}(ulong seed)");
        w.OpenBrace();
        w.WriteLine("_seed = seed;");
        w.WriteLine("Initialize(_core.Params, seed);");
        if (buffers)
        {
            w.WriteLine("InitializeBuffers(_core.Buffers, _core.Counters);");
        }

        w.CloseBrace();
        w.WriteLine();
        w.WriteLine("/// <summary>The seed the network was created with (it also keys the dropout masks).</summary>");
        w.WriteLine("public ulong Seed => _seed;");
        w.WriteLine();
        w.WriteLine("/// <summary>Optimizer steps taken so far.</summary>");
        w.WriteLine("public long Step => _step;");
        w.WriteLine();
        w.WriteLine($"/// <summary>The learning rate the next optimizer step uses: {LayerCatalog.F(plan.Training.LearningRate)} as declared, until a schedule (e.g.");
        w.WriteLine("/// <see cref=\"global::NetGen.StepLR\"/>) or the caller sets it. Must be finite and ≥ 0.</summary>");
        w.WriteLine("public double LearningRate");
        w.OpenBrace();
        w.WriteLine("get => _learningRate;");
        w.WriteLine($"set => _learningRate = global::NetGen.Guard.LearningRate(value, \"{name}\");");
        w.CloseBrace();
        w.WriteLine();
        w.WriteLine("/// <summary>Gradient clipping by value in TrainStep, PyTorch's <c>clip_grad_value_</c>: each gradient element of the data loss");
        w.WriteLine("/// clamped to ±value before the L2 term and the update; null (the default) = off. Must be finite and &gt; 0.</summary>");
        w.WriteLine("public double? ClipGradientValue");
        w.OpenBrace();
        w.WriteLine("get => _clipGradientValue;");
        w.WriteLine($"set => _clipGradientValue = global::NetGen.Guard.ClipSetting(value, \"ClipGradientValue\", \"{name}\");");
        w.CloseBrace();
        w.WriteLine();
        w.WriteLine("/// <summary>Gradient clipping by global norm in TrainStep, PyTorch's <c>clip_grad_norm_</c>: one L2 norm n over every parameter's");
        w.WriteLine("/// data-loss gradient, scaled by min(1, max / (n + 1e-6)) before the L2 term and the update; null (the default) = off.");
        w.WriteLine("/// Must be finite and &gt; 0. The norm before clipping of the last step is <see cref=\"LastGradientNorm\"/>.</summary>");
        w.WriteLine("public double? ClipGradientNorm");
        w.OpenBrace();
        w.WriteLine("get => _clipGradientNorm;");
        w.WriteLine($"set => _clipGradientNorm = global::NetGen.Guard.ClipSetting(value, \"ClipGradientNorm\", \"{name}\");");
        w.CloseBrace();
        w.WriteLine();
        w.WriteLine("/// <summary>The global norm of the last TrainStep's data-loss gradient before clipping (NaN when ClipGradientNorm is off).</summary>");
        w.WriteLine("public double LastGradientNorm => _lastGradientNorm;");
        w.WriteLine();
        w.WriteLine("/// <summary>Clipping by value, then by global norm, of the data loss's gradient, as set by the two properties.</summary>");
        w.WriteLine("private void ClipGradients()");
        w.OpenBrace();
        w.WriteLine("if (_clipGradientValue is double value)");
        w.OpenBrace();
        w.WriteLine("global::NetGen.Kernels.Clipping.ByValue<float>(_core.Grads, value);");
        w.CloseBrace();
        w.WriteLine();
        w.WriteLine("_lastGradientNorm = _clipGradientNorm is double maxNorm ? global::NetGen.Kernels.Clipping.ByGlobalNorm<float>(_core.Grads, maxNorm) : double.NaN;");
        w.CloseBrace();
        w.WriteLine();
        w.WriteLine("/// <summary>The input shape per sample: [features] or [C, H, W].</summary>");
        w.WriteLine("public static global::System.Collections.Generic.IReadOnlyList<int> InputShape => s_inputShape;");
        w.WriteLine();
        w.WriteLine("/// <summary>Every parameter tensor: state_dict key, layer, shape and place in <see cref=\"Parameters\"/>.</summary>");
        w.WriteLine("public static global::System.Collections.Generic.IReadOnlyList<global::NetGen.ParameterInfo> ParameterTable => s_parameters;");
        w.WriteLine();
        w.WriteLine("/// <summary>Every buffer (state saved and loaded but not trained, e.g. BatchNorm's running statistics): key, shape, dtype.</summary>");
        w.WriteLine("public static global::System.Collections.Generic.IReadOnlyList<global::NetGen.BufferInfo> BufferTable => s_buffers;");
        w.WriteLine();
        w.WriteLine("/// <summary>All parameters, one contiguous arena in state_dict order. Writable: writes take effect at the next call. Take");
        w.WriteLine("/// a new span after each Predict or TrainStep rather than writing through one taken before it (pre-packed weights are");
        w.WriteLine("/// refreshed when the span is taken).</summary>");
        w.WriteLine("public global::System.Span<float> Parameters => WritableParameters();");
        w.WriteLine();
        // The crefs name the overload: a softmax cross-entropy class also has the soft-target ones (an unqualified cref is CS0419).
        string trainingSignature = $"(global::System.ReadOnlySpan{{float}}, global::System.ReadOnlySpan{{{targetType}}})";
        w.WriteLine($"/// <summary>Gradients of the last <see cref=\"TrainStep{trainingSignature}\"/> or <see cref=\"ComputeGradients{trainingSignature}\"/>, laid out like <see cref=\"Parameters\"/>.</summary>");
        w.WriteLine("public global::System.ReadOnlySpan<float> Gradients => _core.Grads;");
        w.WriteLine();
        w.WriteLine("/// <summary>The values of parameter tensor <paramref name=\"index\"/> (see <see cref=\"ParameterTable\"/>); writable as <see cref=\"Parameters\"/>.</summary>");
        w.WriteLine("public global::System.Span<float> GetParameter(int index) => global::NetGen.ParameterInfo.Slice(s_parameters, index, WritableParameters());");
        w.WriteLine();
        w.WriteLine("/// <summary>The values of the parameter tensor with state_dict key <paramref name=\"key\"/>, e.g. \"0.weight\"; writable as <see cref=\"Parameters\"/>.</summary>");
        w.WriteLine("public global::System.Span<float> GetParameter(string key) => global::NetGen.ParameterInfo.Slice(s_parameters, key, WritableParameters(), \"" + name + "\");");
        w.WriteLine();
        w.WriteLine("/// <summary>The parameter arena, about to be handed out writable: the pre-packed weights are marked stale.</summary>");
        w.WriteLine("private float[] WritableParameters()");
        w.OpenBrace();
        w.WriteLine("_core.WeightsChanged();");
        w.WriteLine("return _core.Params;");
        w.CloseBrace();
        w.WriteLine();
        w.WriteLine("/// <summary>The gradient of parameter tensor <paramref name=\"index\"/>.</summary>");
        w.WriteLine("public global::System.ReadOnlySpan<float> GetGradient(int index) => global::NetGen.ParameterInfo.Slice(s_parameters, index, _core.Grads);");
        w.WriteLine();
        w.WriteLine("/// <summary>The gradient of the parameter tensor with state_dict key <paramref name=\"key\"/>.</summary>");
        w.WriteLine("public global::System.ReadOnlySpan<float> GetGradient(string key) => global::NetGen.ParameterInfo.Slice(s_parameters, key, _core.Grads, \"" + name + "\");");
        w.WriteLine();
        w.WriteLine("/// <summary>The values of the float32 buffer with state_dict key <paramref name=\"key\"/>, e.g. \"1.running_mean\" (an int64 counter");
        w.WriteLine("/// such as \"1.num_batches_tracked\" is read with <see cref=\"GetCounter\"/>). Writable: writes take effect at the next call.</summary>");
        w.WriteLine(buffers
            ? $"public global::System.Span<float> GetBuffer(string key) => global::NetGen.BufferInfo.Slice(s_buffers, key, _core.Buffers, \"{name}\");"
            : $"public global::System.Span<float> GetBuffer(string key) => global::NetGen.BufferInfo.Slice(s_buffers, key, global::System.Array.Empty<float>(), \"{name}\");");
        w.WriteLine();
        w.WriteLine("/// <summary>The value of the int64 buffer with state_dict key <paramref name=\"key\"/>, e.g. \"1.num_batches_tracked\".</summary>");
        w.WriteLine(buffers
            ? $"public long GetCounter(string key) => global::NetGen.BufferInfo.Counter(s_buffers, key, _core.Counters, \"{name}\");"
            : $"public long GetCounter(string key) => global::NetGen.BufferInfo.Counter(s_buffers, key, global::System.Array.Empty<long>(), \"{name}\");");
        w.WriteLine();

        // Inference.
        w.WriteLine("/// <summary>Inference (dropout off, batch normalisation on its running statistics): <paramref name=\"outputs\"/>[rows, OutputSize]");
        w.WriteLine("/// from <paramref name=\"inputs\"/>[rows, InputSize], any number of rows, computed MaxBatch rows at a time. Allocates nothing.</summary>");
        w.WriteLine("public void Predict(global::System.ReadOnlySpan<float> inputs, global::System.Span<float> outputs)");
        w.OpenBrace();
        w.WriteLine($"global::NetGen.Guard.NotDisposed(_disposed, \"{name}\");");
        w.WriteLine($"int rows = global::NetGen.Guard.Rows(inputs, InputSize, \"{name}\");");
        w.WriteLine($"global::NetGen.Guard.Output(outputs, rows * OutputSize, \"{name}\");");
        if (cuda)
        {
            w.WriteLine("if (_cuda is not null)");
            w.OpenBrace();
            w.WriteLine("_cuda.Predict(inputs, outputs, rows, _seed, _step); // Backend.Cuda");
            w.WriteLine("return;");
            w.CloseBrace();
            w.WriteLine();
        }

        w.WriteLine("for (int start = 0; start < rows; start += MaxBatch)");
        w.OpenBrace();
        w.WriteLine("int B = global::System.Math.Min(MaxBatch, rows - start);");
        loss.EmitPredictRows(w, "_core.Forward(inputs.Slice(start * InputSize, B * InputSize), B, training: false, _seed, _step)", "outputs.Slice(start * OutputSize, B * OutputSize)");
        w.CloseBrace();
        w.CloseBrace();
        w.WriteLine();
        loss.EmitApiMembers(w, plan, cuda);

        // Training.
        string targetDoc = classes ? "<paramref name=\"labels\"/>: the class of each row" : "<paramref name=\"targets\"/>: [rows, OutputSize] float values";
        w.WriteLine($"/// <summary>One training step on a batch of at most MaxBatch rows ({targetDoc}): forward (dropout on, batch statistics),");
        w.WriteLine("/// loss, backward, gradient clipping (when set), the regularisation terms' gradients, optimizer update at <see cref=\"LearningRate\"/>");
        w.WriteLine("/// (then the max-norm projection, when set). Returns the mean loss before the update (data loss + regularisation terms).");
        w.WriteLine("/// Invalid arguments (including NaN or ±∞ in the inputs or targets) throw, and a step whose loss or gradient is not finite throws");
        w.WriteLine("/// <see cref=\"global::NetGen.NonFiniteStepException\"/> (an ArithmeticException): either way parameters, buffers, optimizer state and");
        w.WriteLine("/// <see cref=\"Step\"/> are unchanged (<see cref=\"Gradients\"/> and the activation views may show the refused step).</summary>");
        w.WriteLine($"public float TrainStep(global::System.ReadOnlySpan<float> inputs, global::System.ReadOnlySpan<{targetType}> {targets})");
        var check = new StepCheck(KernelsCheckGradients(cpu), FoldsInputCheck(cpu));
        TrainingBody(w, guard, trainingGuard, targets, buffers, name, update: true, cuda ? CudaHook.Step : CudaHook.None, check);
        w.WriteLine();
        w.WriteLine("/// <summary>Forward (dropout on, masks of the current step; batch statistics, which also update the running statistics)");
        w.WriteLine("/// and backward without an update: fills <see cref=\"Gradients\"/> and returns the mean loss (data loss + regularisation terms). Refuses non-finite");
        w.WriteLine("/// inputs or targets, and a non-finite loss or gradient (the running statistics are then put back), as <see cref=\"TrainStep" + trainingSignature + "\"/> does.</summary>");
        w.WriteLine($"public float ComputeGradients(global::System.ReadOnlySpan<float> inputs, global::System.ReadOnlySpan<{targetType}> {targets})");
        TrainingBody(w, guard, trainingGuard, targets, buffers, name, update: false, cuda ? CudaHook.Step : CudaHook.None, check);
        w.WriteLine();
        if (loss.AcceptsProbabilities)
        {
            EmitProbabilityTraining(w, name, trainingGuard, buffers, cuda, check);
        }

        // Gradient check.
        w.WriteLine("/// <summary>Gradient check in float64 (the same Core instantiated for double, on a copy of the parameters and buffers): compares");
        w.WriteLine("/// analytic gradients with centered differences (f(p+h) − f(p−h)) / 2h and reports, per parameter tensor, the largest");
        w.WriteLine("/// relative error |a − n| / max(|a|, |n|). Dropout masks are those of the current step, so they cancel out; batch");
        w.WriteLine("/// normalisation uses the batch's statistics. <paramref name=\"maxChecksPerTensor\"/> = 0 checks every element. The network is not changed.</summary>");
        w.WriteLine($"public global::NetGen.GradCheckResult GradCheck(global::System.ReadOnlySpan<float> inputs, global::System.ReadOnlySpan<{targetType}> {targets}, double h = 1e-5, int maxChecksPerTensor = 0)");
        w.OpenBrace();
        w.WriteLine(guard);
        if (trainingGuard.Length > 0)
        {
            w.WriteLine(trainingGuard);
        }

        if (cuda)
        {
            w.WriteLine("CopyFromDevice(); // Backend.Cuda: the parameters from the device into the host mirror first (a no-op on the CPU)");
        }

        w.WriteLine("var core = new Core<double>();");
        w.WriteLine("global::NetGen.GradCheck.Widen(_core.Params, core.Params);");
        if (buffers)
        {
            w.WriteLine("global::NetGen.GradCheck.Widen(_core.Buffers, core.Buffers);");
        }

        w.WriteLine("double[] x = global::NetGen.GradCheck.Widen(inputs);");
        w.WriteLine(classes ? "int[] y = labels.ToArray();" : "double[] y = global::NetGen.GradCheck.Widen(targets);");
        w.WriteLine("ulong seed = _seed;");
        w.WriteLine("long step = _step;");
        w.WriteLine("core.Forward(x, B, training: true, seed, step);");
        w.WriteLine("core.Loss(y, B);");
        w.WriteLine("core.Backward(x, B);");
        w.WriteLine("core.RegularizationBackward();");
        w.WriteLine("return global::NetGen.GradCheck.Run(s_parameters, core.Params, core.Grads, () =>");
        w.OpenBrace();
        w.WriteLine("core.WeightsChanged(); // Run has just nudged one parameter");
        w.WriteLine("core.Forward(x, B, training: true, seed, step);");
        w.WriteLine("return core.Loss(y, B);");
        w.CloseBrace(", h, maxChecksPerTensor);");
        w.CloseBrace();
        w.WriteLine();
        if (loss.AcceptsProbabilities)
        {
            EmitProbabilityGradCheck(w, name, trainingGuard, buffers, cuda);
        }


        // Serialization.
        string bufferArgs = buffers ? "s_buffers, _core.Buffers, _core.Counters" : "s_buffers, global::System.Array.Empty<float>(), global::System.Array.Empty<long>()";
        w.WriteLine("/// <summary>Writes the parameters and buffers as safetensors (float32; int64 counters) with the keys and layouts of the");
        w.WriteLine("/// equivalent PyTorch module's state_dict, so <c>model.load_state_dict(strict=True)</c> accepts the file.</summary>");
        if (cuda)
        {
            w.WriteLine("public void Save(global::System.IO.Stream stream)");
            w.OpenBrace();
            w.WriteLine("CopyFromDevice(); // Backend.Cuda: the weights from the device into the host mirror first (a no-op on the CPU)");
            w.WriteLine($"global::NetGen.Checkpoint.Save(stream, s_parameters, _core.Params, {bufferArgs}, \"{name}\");");
            w.CloseBrace();
        }
        else
        {
            w.WriteLine($"public void Save(global::System.IO.Stream stream) => global::NetGen.Checkpoint.Save(stream, s_parameters, _core.Params, {bufferArgs}, \"{name}\");");
        }

        w.WriteLine();
        w.WriteLine("/// <summary>Writes the parameters and buffers to a safetensors file.</summary>");
        w.WriteLine("public void Save(string path)");
        w.OpenBrace();
        w.WriteLine("global::NetGen.ModelFile.Write(path, Save); // a temporary file, flushed, renamed over path: never half a file");
        w.CloseBrace();
        w.WriteLine();
        w.WriteLine("/// <summary>Reads parameters and buffers from safetensors (e.g. a PyTorch state_dict). Every key, dtype and shape is checked");
        w.WriteLine("/// before anything is copied: on error an exception names the tensor and the network is unchanged. On success the optimizer");
        w.WriteLine("/// state and the step counter are reset.</summary>");
        w.WriteLine("public void Load(global::System.IO.Stream stream)");
        w.OpenBrace();
        w.WriteLine($"global::NetGen.Checkpoint.ModelState staged = global::NetGen.Checkpoint.Read(stream, s_parameters, ParameterCount, s_buffers, {(buffers ? "BufferCount" : "0")}, \"{name}\");");
        w.WriteLine("staged.Parameters.CopyTo(_core.Params, 0);");
        if (buffers)
        {
            w.WriteLine("staged.Buffers.CopyTo(_core.Buffers, 0);");
            w.WriteLine("staged.Counters.CopyTo(_core.Counters, 0);");
        }

        w.WriteLine("_core.WeightsChanged();");
        w.WriteLine("_core.ResetOptimizerState();");
        w.WriteLine("_step = 0;");
        if (cuda)
        {
            w.WriteLine("CopyToDevice(); // Backend.Cuda: the loaded weights and the reset optimizer state to the device (a no-op on the CPU)");
        }

        w.CloseBrace();
        w.WriteLine();
        w.WriteLine("/// <summary>Reads parameters and buffers from a safetensors file (see <see cref=\"Load(global::System.IO.Stream)\"/>).</summary>");
        w.WriteLine("public void Load(string path)");
        w.OpenBrace();
        w.WriteLine("global::NetGen.ModelFile.Read(path, Load); // errors name the file");
        w.CloseBrace();
        w.WriteLine();
        EmitTrainingState(w, cpu, bufferArgs, buffers, cuda);
        EmitActivationApi(w, name);
        w.WriteLine("/// <summary>A Keras-like summary: layers, output shapes, parameter counts, FLOPs and bytes.</summary>");
        w.WriteLine("public string Summary() => SummaryText;");
        w.WriteLine();
        w.WriteLine($"string global::NetGen.INeuralNetwork.Name => \"{name}\";");
        w.WriteLine("int global::NetGen.INeuralNetwork.InputSize => InputSize;");
        w.WriteLine("int global::NetGen.INeuralNetwork.OutputSize => OutputSize;");
        w.WriteLine("int global::NetGen.INeuralNetwork.MaxBatch => MaxBatch;");
        w.WriteLine("global::NetGen.Loss global::NetGen.INeuralNetwork.Loss => Loss;");
        w.WriteLine("double global::NetGen.INeuralNetwork.LossMargin => LossMargin;");
        w.WriteLine("double global::NetGen.INeuralNetwork.LossDelta => LossDelta;");
        w.WriteLine("global::System.Collections.Generic.IReadOnlyList<int> global::NetGen.INeuralNetwork.InputShape => s_inputShape;");
        w.WriteLine("global::System.Collections.Generic.IReadOnlyList<global::NetGen.ParameterInfo> global::NetGen.INeuralNetwork.ParameterTable => s_parameters;");
        w.WriteLine("global::System.Collections.Generic.IReadOnlyList<global::NetGen.BufferInfo> global::NetGen.INeuralNetwork.BufferTable => s_buffers;");
        w.WriteLine("global::System.Collections.Generic.IReadOnlyList<global::NetGen.ActivationInfo> global::NetGen.INeuralNetwork.ActivationTable => s_activations;");
        w.WriteLine();
        EmitInitialize(w, plan);
    }

    private static string ProbabilityGuard(string name) =>
        $"int B = global::NetGen.Guard.Probabilities(inputs, targetProbabilities, InputSize, OutputSize, MaxBatch, \"{name}\");";

    /// <summary>TrainStep and ComputeGradients against target distributions (soft targets, e.g. Mixup's), for the losses
    /// that accept them: the same body as with labels (<see cref="TrainingBody"/>), only the guard differs.</summary>
    private static void EmitProbabilityTraining(SourceWriter w, string name, string trainingGuard, bool buffers, bool cuda, StepCheck check)
    {
        const string doc = "<paramref name=\"targetProbabilities\"/>: [rows, OutputSize], one target distribution per row, every value finite and ≥ 0;";
        const string doc2 = "rows are used as given, not renormalised (as PyTorch's <c>F.cross_entropy</c> with probabilities: a row summing to s weighs its example by s)";
        foreach (bool update in new[] { true, false })
        {
            w.WriteLine(update
                ? "/// <summary>One training step against target distributions (soft targets) on a batch of at most MaxBatch rows:"
                : "/// <summary>Forward and backward against target distributions (soft targets) without an update: fills <see cref=\"Gradients\"/>;");
            w.WriteLine("/// " + doc);
            w.WriteLine("/// " + doc2 + ".");
            w.WriteLine("/// Returns the mean loss before the update (data loss + regularisation terms). Invalid arguments (including NaN or ±∞ in the inputs or");
            w.WriteLine("/// probabilities) throw, and a non-finite loss or gradient throws <see cref=\"global::NetGen.NonFiniteStepException\"/> (an ArithmeticException):");
            w.WriteLine("/// either way parameters, buffers, optimizer state and <see cref=\"Step\"/> are unchanged, as with labels.</summary>");
            w.WriteLine($"public float {(update ? "TrainStep" : "ComputeGradients")}(global::System.ReadOnlySpan<float> inputs, global::System.ReadOnlySpan<float> targetProbabilities)");
            TrainingBody(w, ProbabilityGuard(name), trainingGuard, "targetProbabilities", buffers, name, update, cuda ? CudaHook.Step : CudaHook.None, check);
            w.WriteLine();
        }
    }

    private static void EmitProbabilityGradCheck(SourceWriter w, string name, string trainingGuard, bool buffers, bool cuda)
    {
        w.WriteLine("/// <summary>Gradient check in float64 against target distributions (see the overload with labels). The network is not changed.</summary>");
        w.WriteLine("public global::NetGen.GradCheckResult GradCheck(global::System.ReadOnlySpan<float> inputs, global::System.ReadOnlySpan<float> targetProbabilities, double h = 1e-5, int maxChecksPerTensor = 0)");
        w.OpenBrace();
        w.WriteLine(ProbabilityGuard(name));
        if (trainingGuard.Length > 0)
        {
            w.WriteLine(trainingGuard);
        }

        if (cuda)
        {
            w.WriteLine("CopyFromDevice(); // Backend.Cuda: the parameters from the device into the host mirror first (a no-op on the CPU)");
        }

        w.WriteLine("var core = new Core<double>();");
        w.WriteLine("global::NetGen.GradCheck.Widen(_core.Params, core.Params);");
        if (buffers)
        {
            w.WriteLine("global::NetGen.GradCheck.Widen(_core.Buffers, core.Buffers);");
        }

        w.WriteLine("double[] x = global::NetGen.GradCheck.Widen(inputs);");
        w.WriteLine("double[] t = global::NetGen.GradCheck.Widen(targetProbabilities);");
        w.WriteLine("ulong seed = _seed;");
        w.WriteLine("long step = _step;");
        w.WriteLine("core.Forward(x, B, training: true, seed, step);");
        w.WriteLine("core.Loss(t, B);");
        w.WriteLine("core.Backward(x, B);");
        w.WriteLine("core.RegularizationBackward();");
        w.WriteLine("return global::NetGen.GradCheck.Run(s_parameters, core.Params, core.Grads, () =>");
        w.OpenBrace();
        w.WriteLine("core.WeightsChanged(); // Run has just nudged one parameter");
        w.WriteLine("core.Forward(x, B, training: true, seed, step);");
        w.WriteLine("return core.Loss(t, B);");
        w.CloseBrace(", h, maxChecksPerTensor);");
        w.CloseBrace();
        w.WriteLine();
    }

    /// <summary>SaveTrainingState / LoadTrainingState: parameters, buffers, optimizer state, step, seed and learning rate, so
    /// training resumes with the same bits (docs/adr/0011-training-state.md).</summary>
    private static void EmitTrainingState(SourceWriter w, CpuPlan cpu, string bufferArgs, bool buffers, bool cuda)
    {
        Plan plan = cpu.Plan;
        string name = plan.ClassName;
        OptimizerEntry optimizer = OptimizerCatalog.Get(plan.Training.Optimizer);
        var keys = optimizer.State(plan.Training).Select(s => s.TorchName).ToList();
        string quoted = keys.Count == 0 ? string.Empty : " \"" + string.Join("\", \"", keys) + "\" ";
        string stateText = keys.Count == 0 ? "plain SGD keeps none" : "tensors " + string.Join(", ", keys.Select(k => "<c>optimizer.{key}." + k + "</c>"));
        w.WriteLine($"// Training state: the parameters and buffers, the optimizer state ({(keys.Count == 0 ? "none for plain SGD" : "PyTorch's names: " + string.Join(", ", keys))}), the step counter, the seed and the learning rate.");
        w.WriteLine($"private static readonly string[] s_optimizerState = new string[] {{{quoted}}};");
        w.WriteLine();
        w.WriteLine("/// <summary>Writes a training state as safetensors: the parameters and buffers (keys as in <see cref=\"Save(global::System.IO.Stream)\"/>), the optimizer");
        w.WriteLine($"/// state ({stateText}, laid out like the weights) and, as metadata, the step counter, the seed, the learning rate and the optimizer.");
        w.WriteLine("/// <see cref=\"LoadTrainingState(global::System.IO.Stream)\"/> resumes from it with the same bits as if training had not stopped.</summary>");
        string saveState = $"global::NetGen.Checkpoint.SaveTrainingState(stream, s_parameters, _core.Params, {bufferArgs}, s_optimizerState, _core.OptimizerState(), _step, _seed, _learningRate, \"{name}\", \"{optimizer.Title(plan.Training)}\");";
        if (cuda)
        {
            w.WriteLine("public void SaveTrainingState(global::System.IO.Stream stream)");
            w.OpenBrace();
            w.WriteLine("CopyFromDevice(); // Backend.Cuda: weights and optimizer state from the device into the host mirror first (a no-op on the CPU)");
            w.WriteLine(saveState);
            w.CloseBrace();
        }
        else
        {
            w.WriteLine("public void SaveTrainingState(global::System.IO.Stream stream) => " + saveState);
        }

        w.WriteLine();
        w.WriteLine("/// <summary>Writes a training state to a file (see <see cref=\"SaveTrainingState(global::System.IO.Stream)\"/>).</summary>");
        w.WriteLine("public void SaveTrainingState(string path)");
        w.OpenBrace();
        w.WriteLine("global::NetGen.ModelFile.Write(path, SaveTrainingState); // a temporary file, flushed, renamed over path: never half a file");
        w.CloseBrace();
        w.WriteLine();
        w.WriteLine("/// <summary>Resumes from a training state written by <see cref=\"SaveTrainingState(global::System.IO.Stream)\"/>: parameters, buffers, optimizer state,");
        w.WriteLine("/// <see cref=\"Step\"/>, <see cref=\"Seed\"/> (which keys the dropout masks) and <see cref=\"LearningRate\"/> (kept as it is when the file has none).");
        w.WriteLine("/// Every key, dtype, shape, the step and the seed are checked before anything is copied: on error an exception names the");
        w.WriteLine("/// tensor or metadata key and the network is unchanged.</summary>");
        w.WriteLine("public void LoadTrainingState(global::System.IO.Stream stream)");
        w.OpenBrace();
        w.WriteLine($"global::NetGen.Checkpoint.TrainingState state = global::NetGen.Checkpoint.ReadTrainingState(stream, s_parameters, ParameterCount, s_buffers, {(buffers ? "BufferCount" : "0")}, s_optimizerState, \"{name}\");");
        w.WriteLine("state.Parameters.CopyTo(_core.Params, 0);");
        if (buffers)
        {
            w.WriteLine("state.Buffers.CopyTo(_core.Buffers, 0);");
            w.WriteLine("state.Counters.CopyTo(_core.Counters, 0);");
        }

        w.WriteLine("float[][] optimizerState = _core.OptimizerState();");
        w.WriteLine("for (int i = 0; i < optimizerState.Length; i++)");
        w.OpenBrace();
        w.WriteLine("state.OptimizerState[i].CopyTo(optimizerState[i], 0);");
        w.CloseBrace();
        w.WriteLine("_core.WeightsChanged();");
        w.WriteLine("_step = state.Step;");
        w.WriteLine("_seed = state.Seed;");
        w.WriteLine("_learningRate = state.LearningRate ?? _learningRate;");
        if (cuda)
        {
            w.WriteLine("CopyToDevice(); // Backend.Cuda: the resumed weights and optimizer state to the device (a no-op on the CPU)");
        }

        w.CloseBrace();
        w.WriteLine();
        w.WriteLine("/// <summary>Resumes from a training state file (see <see cref=\"LoadTrainingState(global::System.IO.Stream)\"/>).</summary>");
        w.WriteLine("public void LoadTrainingState(string path)");
        w.OpenBrace();
        w.WriteLine("global::NetGen.ModelFile.Read(path, LoadTrainingState); // errors name the file");
        w.CloseBrace();
        w.WriteLine();
    }

    private static void EmitInitialize(SourceWriter w, Plan plan)
    {
        w.WriteLine("// Initialisation: parameter tensor t draws from the counter-based stream (seed, InitStream, t), element by element.");
        w.WriteLine("private static void Initialize(global::System.Span<float> p, ulong seed)");
        w.OpenBrace();
        int index = 0;
        foreach (StatePlan s in plan.State)
        {
            if (s.Role != StateRole.Parameter)
            {
                continue;
            }

            string span = $"p.Slice({EmitNames.StateConst(s)}, {I(s.Length)})";
            w.WriteLine($"// \"{s.Key}\" {Shape(s.Shape)}: {s.Init.Description}");
            string key = $"global::NetGen.CounterRng.Key(seed, global::NetGen.CounterRng.InitStream, {I(index++)}, 0)";
            w.WriteLine(s.Init.Distribution switch
            {
                InitDistribution.Normal => $"global::NetGen.Initializers.Normal({span}, {LayerCatalog.F(s.Init.Scale)}, {key});",
                InitDistribution.Uniform => $"global::NetGen.Initializers.Uniform({span}, {LayerCatalog.F(s.Init.Scale)}, {key});",
                InitDistribution.Sparse => $"global::NetGen.Initializers.Sparse({span}, rows: {I(s.Shape[0])}, count: {I(s.Init.Count)}, std: {LayerCatalog.F(s.Init.Scale)}, {key});",
                InitDistribution.Orthogonal => $"global::NetGen.Initializers.Orthogonal({span}, rows: {I(s.Shape[0])}, gain: {LayerCatalog.F(s.Init.Scale)}, {key});",
                _ => $"{span}.Fill({FloatLiteral(s.Init.Scale)});",
            });
        }

        w.CloseBrace();
        if (plan.BufferCount + plan.CounterCount == 0)
        {
            return;
        }

        w.WriteLine();
        w.WriteLine("// Buffers start as PyTorch's do: running_mean 0, running_var 1, num_batches_tracked 0.");
        w.WriteLine("private static void InitializeBuffers(global::System.Span<float> buffers, global::System.Span<long> counters)");
        w.OpenBrace();
        foreach (StatePlan s in plan.State)
        {
            if (s.Role != StateRole.Buffer)
            {
                continue;
            }

            w.WriteLine(s.Dtype == StateDtype.F32
                ? $"buffers.Slice({EmitNames.StateConst(s)}, {I(s.Length)}).Fill({FloatLiteral(s.Init.Scale)}); // \"{s.Key}\""
                : $"counters[{EmitNames.StateConst(s)}] = {I((long)s.Init.Scale)}; // \"{s.Key}\"");
        }

        w.CloseBrace();
    }

    /// <summary>
    /// The whole body of TrainStep (<paramref name="update"/>) or ComputeGradients, for every target kind (labels, dense
    /// targets, target distributions): the guard line, the minimum-batch check, <see cref="TrainingCall"/>, then the update.
    /// Every overload goes through here, so the non-finite checks cannot differ between them.
    /// </summary>
    private static void TrainingBody(SourceWriter w, string guard, string trainingGuard, string targets, bool buffers, string name, bool update, CudaHook cuda, StepCheck check)
    {
        w.OpenBrace();
        w.WriteLine($"global::NetGen.Guard.NotDisposed(_disposed, \"{name}\");");
        if (check.FoldsInputs)
        {
            // The inputs are read by the guard only when this call reads the whole gradient arena (a clipping TrainStep):
            // otherwise their check is the first layer's weight gradient's (see TrainingCall).
            string when = update ? "_clipGradientValue is not null || _clipGradientNorm is not null" : "false";
            guard = guard.Substring(0, guard.Length - 2) + $", checkInputs: {when});";
        }

        w.WriteLine(guard);
        if (trainingGuard.Length > 0)
        {
            w.WriteLine(trainingGuard);
        }

        string call = update ? "TrainStep" : "ComputeGradients";
        if (cuda == CudaHook.Step)
        {
            w.WriteLine("if (_cuda is not null)");
            w.OpenBrace();
            w.WriteLine($"return CudaStep(inputs, {targets}, B, update: {(update ? "true" : "false")}, \"{call}\"); // Backend.Cuda");
            w.CloseBrace();
            w.WriteLine();
        }

        TrainingCall(w, targets, buffers, name, update ? "TrainStep" : "ComputeGradients", clip: update, check);
        if (update)
        {
            w.WriteLine("_step++;");
            w.WriteLine("_core.Update(_step, _learningRate);");
        }

        w.WriteLine("return (float)loss;");
        w.CloseBrace();
    }

    /// <summary>
    /// The body shared by TrainStep and ComputeGradients, from the forward pass to the finiteness check of the loss and
    /// gradient; leaves <c>loss</c> declared. The inputs and targets were checked by the guard before it.
    /// </summary>
    private static void TrainingCall(SourceWriter w, string targets, bool buffers, string name, string call, bool clip, StepCheck check)
    {
        if (check.FoldsInputs)
        {
            w.WriteLine("// NaN or ±∞ in the targets was refused by the guard above; in the inputs it is found by the step check below (ADR 0040):");
            w.WriteLine("// every input value enters every element of its column of the first layer's dW = dyᵀ·x through a product, so a non-finite");
            w.WriteLine("// input makes that gradient non-finite, and the forward pass changes no state that would have to be put back.");
        }
        else
        {
            w.WriteLine("// NaN or ±∞ in the inputs or targets was refused by the guard above, in one vectorised read before the forward pass:");
            w.WriteLine("// the forward pass would find it too, but only after it has changed state (batch statistics), so the guard reads first.");
        }

        if (buffers)
        {
            w.WriteLine("_core.Buffers.CopyTo(_buffersBefore, 0); // the forward pass updates the running statistics: kept to put back on a refused step");
            w.WriteLine("_core.Counters.CopyTo(_countersBefore, 0);");
        }

        w.WriteLine("_core.Forward(inputs, B, training: true, _seed, _step);");
        w.WriteLine($"double loss = _core.Loss({targets}, B);");
        w.WriteLine("_core.Backward(inputs, B);");
        if (clip)
        {
            w.WriteLine("ClipGradients();");
        }

        w.WriteLine("_core.RegularizationBackward();");
        if (!check.Kernels)
        {
            w.WriteLine("// An overflow (or a NaN that came in through the parameters) is refused before the update: one vectorised read of the");
            w.WriteLine("// gradient arena, checked here rather than inside each kernel so that the hot loops stay as they are.");
            w.WriteLine("if (!global::NetGen.Guard.IsFiniteStep(loss, _core.Grads))");
        }
        else if (clip)
        {
            w.WriteLine("// An overflow (or a NaN that came in through the parameters or the inputs) is refused before the update. The kernels");
            w.WriteLine("// checked the gradients they wrote as they stored them; clipping has changed the arena since, so a clipping step reads it all.");
            w.WriteLine("if (!(_clipGradientValue is null && _clipGradientNorm is null ? _core.IsFiniteStep(loss) : global::NetGen.Guard.IsFiniteStep(loss, _core.Grads)))");
        }
        else
        {
            w.WriteLine("// An overflow (or a NaN that came in through the parameters or the inputs) is refused before the update; the kernels");
            w.WriteLine("// checked the gradients they wrote as they stored them, and only the others are read (Core.IsFiniteStep).");
            w.WriteLine("if (!_core.IsFiniteStep(loss))");
        }

        w.OpenBrace();
        if (buffers)
        {
            w.WriteLine("_buffersBefore.CopyTo(_core.Buffers, 0);");
            w.WriteLine("_countersBefore.CopyTo(_core.Counters, 0);");
        }

        if (check.FoldsInputs)
        {
            w.WriteLine($"global::NetGen.Guard.Finite(inputs, \"inputs\", \"{name}\"); // a non-finite input is refused as the guard would have refused it");
        }

        w.WriteLine($"global::NetGen.Guard.ThrowNonFiniteStep(loss, _core.Grads, s_parameters, _core.FirstNonFiniteOutput(B), \"{call}\", \"{name}\");");
        w.CloseBrace();
        w.WriteLine();
    }

    /// <summary>What a training overload does on Backend.Cuda: nothing (a network without a CUDA core), or run CudaStep.</summary>
    private enum CudaHook
    {
        None,
        Step,
    }

    /// <summary>A float constant; NaN and ±∞ (refused by NG0211, written correctly all the same) by name.</summary>
    private static string FloatLiteral(double value) =>
        double.IsNaN(value) ? "float.NaN" : double.IsPositiveInfinity(value) ? "float.PositiveInfinity" : double.IsNegativeInfinity(value) ? "float.NegativeInfinity" : "(float)" + LayerCatalog.F(value);

    /// <summary>How a network's training calls check for NaN and ±∞ (ADR 0040): <see cref="Kernels"/>, some kernels check the
    /// gradients they write (Core.IsFiniteStep reads only the others); <see cref="FoldsInputs"/>, the inputs' check is left
    /// to the first layer's weight gradient.</summary>
    private readonly record struct StepCheck(bool Kernels, bool FoldsInputs);
}
