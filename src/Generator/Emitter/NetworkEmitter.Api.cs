using System.Collections.Generic;
using System.Linq;
using NetGen.Generator.Catalog;
using NetGen.Generator.Planner;

namespace NetGen.Generator.Emitter;

internal static partial class NetworkEmitter
{
    /// <summary>The public surface: constructor, inference, training, gradients, parameters, save/load, summary, grad check.</summary>
    private static void EmitApi(SourceWriter w, Plan plan)
    {
        string name = plan.ClassName;
        w.WriteLine("private readonly Core<float> _core = new Core<float>();");
        w.WriteLine("private ulong _seed; // set by the constructor and by LoadTrainingState");
        w.WriteLine("private long _step;");
        w.WriteLine();
        w.WriteLine("/// <summary>Creates the network; every parameter tensor is initialised from its own counter-based stream keyed by");
        w.WriteLine("/// (<paramref name=\"seed\"/>, tensor index), so the same seed gives the same network on any machine.</summary>");
        w.WriteLine($"public {name}(ulong seed)");
        w.OpenBrace();
        w.WriteLine("_seed = seed;");
        w.WriteLine("Initialize(_core.Params, seed);");
        w.CloseBrace();
        w.WriteLine();
        w.WriteLine("/// <summary>The seed the network was created with (it also keys the dropout masks).</summary>");
        w.WriteLine("public ulong Seed => _seed;");
        w.WriteLine();
        w.WriteLine("/// <summary>Optimizer steps taken so far.</summary>");
        w.WriteLine("public long Step => _step;");
        w.WriteLine();
        w.WriteLine("/// <summary>Every parameter tensor: state_dict key, layer, shape and place in <see cref=\"Parameters\"/>.</summary>");
        w.WriteLine("public static global::System.Collections.Generic.IReadOnlyList<global::NetGen.ParameterInfo> ParameterTable => s_parameters;");
        w.WriteLine();
        w.WriteLine("/// <summary>All parameters, one contiguous arena in state_dict order. Writable: writes take effect at the next call. Take");
        w.WriteLine("/// a new span after each Predict or TrainStep rather than writing through one taken before it (pre-packed weights are");
        w.WriteLine("/// refreshed when the span is taken).</summary>");
        w.WriteLine("public global::System.Span<float> Parameters => WritableParameters();");
        w.WriteLine();
        w.WriteLine("/// <summary>Gradients of the last <see cref=\"TrainStep\"/> or <see cref=\"ComputeGradients\"/>, laid out like <see cref=\"Parameters\"/>.</summary>");
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

        // Inference.
        w.WriteLine("/// <summary>Inference (dropout off): <paramref name=\"scores\"/>[rows, OutputSize] from <paramref name=\"inputs\"/>[rows, InputSize],");
        w.WriteLine("/// any number of rows, computed MaxBatch rows at a time. Allocates nothing.</summary>");
        w.WriteLine("public void Predict(global::System.ReadOnlySpan<float> inputs, global::System.Span<float> scores)");
        w.OpenBrace();
        w.WriteLine($"int rows = global::NetGen.Guard.Rows(inputs, InputSize, \"{name}\");");
        w.WriteLine($"global::NetGen.Guard.Output(scores, rows * OutputSize, \"{name}\");");
        w.WriteLine("for (int start = 0; start < rows; start += MaxBatch)");
        w.OpenBrace();
        w.WriteLine("int B = global::System.Math.Min(MaxBatch, rows - start);");
        w.WriteLine("_core.Forward(inputs.Slice(start * InputSize, B * InputSize), B, training: false, _seed, _step).CopyTo(scores.Slice(start * OutputSize, B * OutputSize));");
        w.CloseBrace();
        w.CloseBrace();
        w.WriteLine();

        // Training.
        w.WriteLine("/// <summary>One training step on a batch of at most MaxBatch rows: forward (dropout on), loss, backward, optimizer update.");
        w.WriteLine("/// Returns the mean loss before the update (data loss + L2 term). Invalid arguments throw before anything changes.</summary>");
        w.WriteLine("public float TrainStep(global::System.ReadOnlySpan<float> inputs, global::System.ReadOnlySpan<int> labels)");
        w.OpenBrace();
        w.WriteLine($"int B = global::NetGen.Guard.Batch(inputs, labels, InputSize, OutputSize, MaxBatch, \"{name}\");");
        w.WriteLine("_core.Forward(inputs, B, training: true, _seed, _step);");
        w.WriteLine("double loss = _core.Loss(labels, B);");
        w.WriteLine("_core.Backward(inputs, B);");
        w.WriteLine("_step++;");
        w.WriteLine("_core.Update(_step);");
        w.WriteLine("return (float)loss;");
        w.CloseBrace();
        w.WriteLine();
        w.WriteLine("/// <summary>Forward (dropout on, masks of the current step) and backward without an update: fills <see cref=\"Gradients\"/>");
        w.WriteLine("/// and returns the mean loss (data loss + L2 term).</summary>");
        w.WriteLine("public float ComputeGradients(global::System.ReadOnlySpan<float> inputs, global::System.ReadOnlySpan<int> labels)");
        w.OpenBrace();
        w.WriteLine($"int B = global::NetGen.Guard.Batch(inputs, labels, InputSize, OutputSize, MaxBatch, \"{name}\");");
        w.WriteLine("_core.Forward(inputs, B, training: true, _seed, _step);");
        w.WriteLine("double loss = _core.Loss(labels, B);");
        w.WriteLine("_core.Backward(inputs, B);");
        w.WriteLine("return (float)loss;");
        w.CloseBrace();
        w.WriteLine();

        // Gradient check.
        w.WriteLine("/// <summary>Gradient check in float64 (the same Core instantiated for double, on a copy of the parameters): compares");
        w.WriteLine("/// analytic gradients with centered differences (f(p+h) − f(p−h)) / 2h and reports, per parameter tensor, the largest");
        w.WriteLine("/// relative error |a − n| / max(|a|, |n|). Dropout masks are those of the current step, so they cancel out.");
        w.WriteLine("/// <paramref name=\"maxChecksPerTensor\"/> = 0 checks every element. The network is not changed.</summary>");
        w.WriteLine("public global::NetGen.GradCheckResult GradCheck(global::System.ReadOnlySpan<float> inputs, global::System.ReadOnlySpan<int> labels, double h = 1e-5, int maxChecksPerTensor = 0)");
        w.OpenBrace();
        w.WriteLine($"int B = global::NetGen.Guard.Batch(inputs, labels, InputSize, OutputSize, MaxBatch, \"{name}\");");
        w.WriteLine("var core = new Core<double>();");
        w.WriteLine("global::NetGen.GradCheck.Widen(_core.Params, core.Params);");
        w.WriteLine("double[] x = global::NetGen.GradCheck.Widen(inputs);");
        w.WriteLine("int[] y = labels.ToArray();");
        w.WriteLine("ulong seed = _seed;");
        w.WriteLine("long step = _step;");
        w.WriteLine("core.Forward(x, B, training: true, seed, step);");
        w.WriteLine("core.Loss(y, B);");
        w.WriteLine("core.Backward(x, B);");
        w.WriteLine("return global::NetGen.GradCheck.Run(s_parameters, core.Params, core.Grads, () =>");
        w.OpenBrace();
        w.WriteLine("core.WeightsChanged(); // Run has just nudged one parameter");
        w.WriteLine("core.Forward(x, B, training: true, seed, step);");
        w.WriteLine("return core.Loss(y, B);");
        w.CloseBrace(", h, maxChecksPerTensor);");
        w.CloseBrace();
        w.WriteLine();

        // Serialization.
        w.WriteLine("/// <summary>Writes the parameters as safetensors (float32) with the keys and layouts of the equivalent PyTorch");
        w.WriteLine("/// nn.Sequential state_dict, so <c>model.load_state_dict(strict=True)</c> accepts the file.</summary>");
        w.WriteLine($"public void Save(global::System.IO.Stream stream) => global::NetGen.Checkpoint.Save(stream, s_parameters, _core.Params, \"{name}\");");
        w.WriteLine();
        w.WriteLine("/// <summary>Writes the parameters to a safetensors file.</summary>");
        w.WriteLine("public void Save(string path)");
        w.OpenBrace();
        w.WriteLine("using var stream = global::System.IO.File.Create(path);");
        w.WriteLine("Save(stream);");
        w.CloseBrace();
        w.WriteLine();
        w.WriteLine("/// <summary>Reads parameters from safetensors (e.g. a PyTorch state_dict). Every key, dtype and shape is checked before");
        w.WriteLine("/// anything is copied: on error an exception names the tensor and the network is unchanged. On success the optimizer");
        w.WriteLine("/// state and the step counter are reset.</summary>");
        w.WriteLine("public void Load(global::System.IO.Stream stream)");
        w.OpenBrace();
        w.WriteLine($"float[] staged = global::NetGen.Checkpoint.Read(stream, s_parameters, ParameterCount, \"{name}\");");
        w.WriteLine("staged.CopyTo(_core.Params, 0);");
        w.WriteLine("_core.WeightsChanged();");
        w.WriteLine("_core.ResetOptimizerState();");
        w.WriteLine("_step = 0;");
        w.CloseBrace();
        w.WriteLine();
        w.WriteLine("/// <summary>Reads parameters from a safetensors file (see <see cref=\"Load(global::System.IO.Stream)\"/>).</summary>");
        w.WriteLine("public void Load(string path)");
        w.OpenBrace();
        w.WriteLine("using var stream = global::System.IO.File.OpenRead(path);");
        w.WriteLine("Load(stream);");
        w.CloseBrace();
        w.WriteLine();
        EmitTrainingState(w, plan);
        w.WriteLine("/// <summary>A Keras-like summary: layers, output shapes, parameter counts, FLOPs and bytes.</summary>");
        w.WriteLine("public string Summary() => SummaryText;");
        w.WriteLine();
        w.WriteLine($"string global::NetGen.INeuralNetwork.Name => \"{name}\";");
        w.WriteLine("int global::NetGen.INeuralNetwork.InputSize => InputSize;");
        w.WriteLine("int global::NetGen.INeuralNetwork.OutputSize => OutputSize;");
        w.WriteLine("int global::NetGen.INeuralNetwork.MaxBatch => MaxBatch;");
        w.WriteLine("global::System.Collections.Generic.IReadOnlyList<global::NetGen.ParameterInfo> global::NetGen.INeuralNetwork.ParameterTable => s_parameters;");
        w.WriteLine();
        EmitInitialize(w, plan);
    }

    /// <summary>SaveTrainingState / LoadTrainingState: parameters, optimizer state, step and seed, so training resumes with
    /// the same bits (docs/adr/0011-training-state.md).</summary>
    private static void EmitTrainingState(SourceWriter w, Plan plan)
    {
        string name = plan.ClassName;
        IReadOnlyList<string> keys = OptimizerCatalog.StateKeys(plan.Training.Optimizer);
        string quoted = keys.Count == 0 ? string.Empty : " \"" + string.Join("\", \"", keys) + "\" ";
        string stateText = keys.Count == 0 ? "plain SGD keeps none" : "tensors " + string.Join(", ", keys.Select(k => "<c>optimizer.{key}." + k + "</c>"));
        w.WriteLine($"// Training state: the parameters, the optimizer state ({(keys.Count == 0 ? "none for plain SGD" : "PyTorch's names: " + string.Join(", ", keys))}), the step counter and the seed.");
        w.WriteLine($"private static readonly string[] s_optimizerState = new string[] {{{quoted}}};");
        w.WriteLine();
        w.WriteLine("/// <summary>Writes a training state as safetensors: the parameters (keys as in <see cref=\"Save(global::System.IO.Stream)\"/>), the optimizer");
        w.WriteLine($"/// state ({stateText}, laid out like the weights) and, as metadata, the step counter, the seed and the optimizer.");
        w.WriteLine("/// <see cref=\"LoadTrainingState(global::System.IO.Stream)\"/> resumes from it with the same bits as if training had not stopped.</summary>");
        w.WriteLine($"public void SaveTrainingState(global::System.IO.Stream stream) => global::NetGen.Checkpoint.SaveTrainingState(stream, s_parameters, _core.Params, s_optimizerState, _core.OptimizerState(), _step, _seed, \"{name}\", \"{OptimizerCatalog.Title(plan.Training)}\");");
        w.WriteLine();
        w.WriteLine("/// <summary>Writes a training state to a file (see <see cref=\"SaveTrainingState(global::System.IO.Stream)\"/>).</summary>");
        w.WriteLine("public void SaveTrainingState(string path)");
        w.OpenBrace();
        w.WriteLine("using var stream = global::System.IO.File.Create(path);");
        w.WriteLine("SaveTrainingState(stream);");
        w.CloseBrace();
        w.WriteLine();
        w.WriteLine("/// <summary>Resumes from a training state written by <see cref=\"SaveTrainingState(global::System.IO.Stream)\"/>: parameters, optimizer state,");
        w.WriteLine("/// <see cref=\"Step\"/> and <see cref=\"Seed\"/> (which keys the dropout masks). Every key, dtype, shape, the step and the seed are checked before");
        w.WriteLine("/// anything is copied: on error an exception names the tensor or metadata key and the network is unchanged.</summary>");
        w.WriteLine("public void LoadTrainingState(global::System.IO.Stream stream)");
        w.OpenBrace();
        w.WriteLine($"global::NetGen.Checkpoint.TrainingState state = global::NetGen.Checkpoint.ReadTrainingState(stream, s_parameters, ParameterCount, s_optimizerState, \"{name}\");");
        w.WriteLine("state.Parameters.CopyTo(_core.Params, 0);");
        w.WriteLine("float[][] optimizerState = _core.OptimizerState();");
        w.WriteLine("for (int i = 0; i < optimizerState.Length; i++)");
        w.OpenBrace();
        w.WriteLine("state.OptimizerState[i].CopyTo(optimizerState[i], 0);");
        w.CloseBrace();
        w.WriteLine("_core.WeightsChanged();");
        w.WriteLine("_step = state.Step;");
        w.WriteLine("_seed = state.Seed;");
        w.CloseBrace();
        w.WriteLine();
        w.WriteLine("/// <summary>Resumes from a training state file (see <see cref=\"LoadTrainingState(global::System.IO.Stream)\"/>).</summary>");
        w.WriteLine("public void LoadTrainingState(string path)");
        w.OpenBrace();
        w.WriteLine("using var stream = global::System.IO.File.OpenRead(path);");
        w.WriteLine("LoadTrainingState(stream);");
        w.CloseBrace();
        w.WriteLine();
    }

    private static void EmitInitialize(SourceWriter w, Plan plan)
    {
        w.WriteLine("// Initialisation: tensor t draws from the counter-based stream (seed, InitStream, t), element by element.");
        w.WriteLine("private static void Initialize(global::System.Span<float> p, ulong seed)");
        w.OpenBrace();
        foreach (ParamPlan p in plan.Parameters)
        {
            string span = $"p.Slice({EmitNames.ParameterOffset(p)}, {I(p.Length)})";
            w.WriteLine($"// \"{p.Key}\" {Shape(p.Shape)}: {p.Init.Description}");
            string key = $"global::NetGen.CounterRng.Key(seed, global::NetGen.CounterRng.InitStream, {I(p.Index)}, 0)";
            w.WriteLine(p.Init.Distribution switch
            {
                InitDistribution.Normal => $"global::NetGen.Initializers.Normal({span}, {LayerCatalog.F(p.Init.Scale)}, {key});",
                InitDistribution.Uniform => $"global::NetGen.Initializers.Uniform({span}, {LayerCatalog.F(p.Init.Scale)}, {key});",
                _ => $"{span}.Fill({FloatLiteral(p.Init.Scale)});",
            });
        }

        w.CloseBrace();
    }

    private static string FloatLiteral(double value) => "(float)" + LayerCatalog.F(value);
}
