using NetGen.Generator.Planner;

namespace NetGen.Generator.Emitter;

internal static partial class NetworkEmitter
{
    /// <summary>
    /// A network with errors still gets its public members, each throwing with the diagnostics' text, so the user sees
    /// the NG diagnostic on the attribute and not a cascade of "member not found" errors at every call site.
    /// </summary>
    private static void EmitStub(SourceWriter w, Plan plan)
    {
        string name = plan.ClassName;
        string target = Catalog.LossCatalog.TryGet(plan.Training.Loss) is { Target: Catalog.TargetKind.Dense } ? "float" : "int";
        string targets = target == "int" ? "labels" : "targets";
        string message = Literal($"NetGen generated only members that throw for '{name}' because its declaration has errors: " + string.Join(" ", plan.Errors));
        w.WriteLine($"// '{name}' has errors (see the NG diagnostics); every member below throws.");
        foreach (string error in plan.Errors)
        {
            w.WriteLine("// " + error);
        }

        w.WriteLine($"[global::System.CodeDom.Compiler.GeneratedCode(\"NetGen\", \"{Version}\")]");
        w.WriteLine($"partial class {EmitNames.Identifier(name)} : global::NetGen.INeuralNetwork<{target}>, global::System.IDisposable");
        w.OpenBrace();
        w.WriteLine($"private const string ErrorMessage = {message};");
        w.WriteLine("/// <summary>Not available: the declaration has errors.</summary>");
        w.WriteLine($"public const int InputSize = {I(System.Math.Max(SafeInputSize(plan), 0))};");
        w.WriteLine("/// <summary>Not available: the declaration has errors.</summary>");
        w.WriteLine("public const int OutputSize = 0;");
        w.WriteLine("/// <summary>Not available: the declaration has errors.</summary>");
        w.WriteLine($"public const int MaxBatch = {I(plan.MaxBatch)};");
        w.WriteLine("/// <summary>Not available: the declaration has errors.</summary>");
        w.WriteLine("public const int ParameterCount = 0;");
        w.WriteLine("/// <summary>Throws: the declaration has errors.</summary>");
        w.WriteLine($"public {EmitNames.Identifier(name)}(ulong seed) => throw new global::System.InvalidOperationException(ErrorMessage);");
        w.WriteLine("/// <summary>Throws: the declaration has errors.</summary>");
        w.WriteLine($"public {EmitNames.Identifier(name)}(ulong seed, global::NetGen.Backend backend) => throw new global::System.InvalidOperationException(ErrorMessage);");
        string[] members =
        {
            "public ulong Seed => throw new global::System.InvalidOperationException(ErrorMessage);",
            "public long Step => throw new global::System.InvalidOperationException(ErrorMessage);",
            "public global::NetGen.Backend Backend => throw new global::System.InvalidOperationException(ErrorMessage);",
            "public void CopyFromDevice() => throw new global::System.InvalidOperationException(ErrorMessage);",
            "public void CopyToDevice() => throw new global::System.InvalidOperationException(ErrorMessage);",
            "public bool CudaGraphs { get => throw new global::System.InvalidOperationException(ErrorMessage); set => throw new global::System.InvalidOperationException(ErrorMessage); }",
            "public double LearningRate { get => throw new global::System.InvalidOperationException(ErrorMessage); set => throw new global::System.InvalidOperationException(ErrorMessage); }",
            "public double? ClipGradientValue { get => throw new global::System.InvalidOperationException(ErrorMessage); set => throw new global::System.InvalidOperationException(ErrorMessage); }",
            "public double? ClipGradientNorm { get => throw new global::System.InvalidOperationException(ErrorMessage); set => throw new global::System.InvalidOperationException(ErrorMessage); }",
            "public double LastGradientNorm => throw new global::System.InvalidOperationException(ErrorMessage);",
            "public static global::System.Collections.Generic.IReadOnlyList<int> InputShape => throw new global::System.InvalidOperationException(ErrorMessage);",
            "public static global::System.Collections.Generic.IReadOnlyList<global::NetGen.BufferInfo> BufferTable => throw new global::System.InvalidOperationException(ErrorMessage);",
            "public global::System.Span<float> GetBuffer(string key) => throw new global::System.InvalidOperationException(ErrorMessage);",
            "public long GetCounter(string key) => throw new global::System.InvalidOperationException(ErrorMessage);",
            "public static global::System.Collections.Generic.IReadOnlyList<global::NetGen.ParameterInfo> ParameterTable => throw new global::System.InvalidOperationException(ErrorMessage);",
            "public global::System.Span<float> Parameters => throw new global::System.InvalidOperationException(ErrorMessage);",
            "public global::System.ReadOnlySpan<float> Gradients => throw new global::System.InvalidOperationException(ErrorMessage);",
            "public global::System.Span<float> GetParameter(int index) => throw new global::System.InvalidOperationException(ErrorMessage);",
            "public global::System.Span<float> GetParameter(string key) => throw new global::System.InvalidOperationException(ErrorMessage);",
            "public global::System.ReadOnlySpan<float> GetGradient(int index) => throw new global::System.InvalidOperationException(ErrorMessage);",
            "public global::System.ReadOnlySpan<float> GetGradient(string key) => throw new global::System.InvalidOperationException(ErrorMessage);",
            "public void Predict(global::System.ReadOnlySpan<float> inputs, global::System.Span<float> outputs) => throw new global::System.InvalidOperationException(ErrorMessage);",
            "public float TrainStep(global::System.ReadOnlySpan<float> inputs, global::System.ReadOnlySpan<" + target + "> " + targets + ") => throw new global::System.InvalidOperationException(ErrorMessage);",
            "public float ComputeGradients(global::System.ReadOnlySpan<float> inputs, global::System.ReadOnlySpan<" + target + "> " + targets + ") => throw new global::System.InvalidOperationException(ErrorMessage);",
            "public global::NetGen.GradCheckResult GradCheck(global::System.ReadOnlySpan<float> inputs, global::System.ReadOnlySpan<" + target + "> " + targets + ", double h = 1e-5, int maxChecksPerTensor = 0) => throw new global::System.InvalidOperationException(ErrorMessage);",
            "public void Save(global::System.IO.Stream stream) => throw new global::System.InvalidOperationException(ErrorMessage);",
            "public void Save(string path) => throw new global::System.InvalidOperationException(ErrorMessage);",
            "public void ExportOnnx(global::System.IO.Stream stream) => throw new global::System.InvalidOperationException(ErrorMessage);",
            "public void ExportOnnx(string path) => throw new global::System.InvalidOperationException(ErrorMessage);",
            "public void Load(global::System.IO.Stream stream) => throw new global::System.InvalidOperationException(ErrorMessage);",
            "public void Load(string path) => throw new global::System.InvalidOperationException(ErrorMessage);",
            "public void SaveTrainingState(global::System.IO.Stream stream) => throw new global::System.InvalidOperationException(ErrorMessage);",
            "public void SaveTrainingState(string path) => throw new global::System.InvalidOperationException(ErrorMessage);",
            "public void LoadTrainingState(global::System.IO.Stream stream) => throw new global::System.InvalidOperationException(ErrorMessage);",
            "public void LoadTrainingState(string path) => throw new global::System.InvalidOperationException(ErrorMessage);",
            "public static global::System.Collections.Generic.IReadOnlyList<global::NetGen.ActivationInfo> ActivationTable => throw new global::System.InvalidOperationException(ErrorMessage);",
            "public int ActivationRows => throw new global::System.InvalidOperationException(ErrorMessage);",
            "public bool RecordActivationGradients { get => throw new global::System.InvalidOperationException(ErrorMessage); set => throw new global::System.InvalidOperationException(ErrorMessage); }",
            "public bool RecordActivations { get => throw new global::System.InvalidOperationException(ErrorMessage); set => throw new global::System.InvalidOperationException(ErrorMessage); }",
            "public global::System.ReadOnlySpan<float> GetActivations(int index) => throw new global::System.InvalidOperationException(ErrorMessage);",
            "public global::System.ReadOnlySpan<float> GetActivationGradients(int index) => throw new global::System.InvalidOperationException(ErrorMessage);",
            "public string Summary() => throw new global::System.InvalidOperationException(ErrorMessage);",
            "string global::NetGen.INeuralNetwork.Name => throw new global::System.InvalidOperationException(ErrorMessage);",
            "int global::NetGen.INeuralNetwork.InputSize => InputSize;",
            "int global::NetGen.INeuralNetwork.OutputSize => OutputSize;",
            "int global::NetGen.INeuralNetwork.MaxBatch => MaxBatch;",
            "global::NetGen.Loss global::NetGen.INeuralNetwork.Loss => throw new global::System.InvalidOperationException(ErrorMessage);",
            "double global::NetGen.INeuralNetwork.LossMargin => throw new global::System.InvalidOperationException(ErrorMessage);",
            "double global::NetGen.INeuralNetwork.LossDelta => throw new global::System.InvalidOperationException(ErrorMessage);",
            "global::System.Collections.Generic.IReadOnlyList<global::NetGen.ParameterInfo> global::NetGen.INeuralNetwork.ParameterTable => throw new global::System.InvalidOperationException(ErrorMessage);",
            "global::System.Collections.Generic.IReadOnlyList<int> global::NetGen.INeuralNetwork.InputShape => throw new global::System.InvalidOperationException(ErrorMessage);",
            "global::System.Collections.Generic.IReadOnlyList<global::NetGen.BufferInfo> global::NetGen.INeuralNetwork.BufferTable => throw new global::System.InvalidOperationException(ErrorMessage);",
            "global::System.Collections.Generic.IReadOnlyList<global::NetGen.ActivationInfo> global::NetGen.INeuralNetwork.ActivationTable => throw new global::System.InvalidOperationException(ErrorMessage);",
        };
        foreach (string member in members)
        {
            if (member.StartsWith("public", System.StringComparison.Ordinal))
            {
                w.WriteLine("/// <summary>Throws: the declaration has errors.</summary>");
            }

            w.WriteLine(member);
        }

        w.WriteLine("/// <summary>Nothing to free: the constructors throw.</summary>");
        w.WriteLine("public void Dispose() { }");
        w.CloseBrace();
    }

    private static long SafeInputSize(Plan plan)
    {
        long product = 1;
        foreach (int d in plan.InputShape)
        {
            product *= d;
        }

        return product > int.MaxValue ? 0 : product;
    }
}
