using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using CsCheck;
using Xunit.Abstractions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace NetGen.Generator.Tests;

/// <summary>
/// The generator, fuzzed (docs/adr/0032): random declarations, valid and invalid, drawn by CsCheck from pools of class
/// names (runtime type names, generated member names, keywords, non-ASCII), class shapes (static, record, primary
/// constructor), [Network] settings and layers with valid and invalid values. Properties: the generator never throws and
/// never reports NG9001; a declaration without errors compiles with no warning together with a caller of its whole API;
/// every invalid value is reported by an error on its own argument (unless the class itself is refused, NG0001–NG0013).
/// CI runs <see cref="DefaultCases"/> cases; <c>NETGEN_FUZZ_CASES=10000</c> runs more (tests/README.md), and a failure
/// prints the CsCheck seed that replays it (<c>NETGEN_FUZZ_SEED</c>).
/// </summary>
public sealed class GeneratorFuzzTests
{
    private const int DefaultCases = 100;

    private static readonly string[] Namespaces = { "", "Demo", "Demo.Nets", "Fuzz.System", "Demo.@class", "Démo", "Fuzz.NetGen", "A.B.C" };

    private static readonly string[] ClassNames =
    {
        "Net", "Mlp", "Classifier", "Model", "Net_1", "System", "Stream", "ParameterInfo", "Math", "Guard", "Kernels", "Onnx", "T",
        "NetGen", "Checkpoint", "Span", "Array", "GradCheckResult", "INeuralNetwork", "@class", "@event", "Nété", "ΔNet",
        "Predict", "Summary", "Core", "Step", "Folded", "ExportOnnx", "L0_Weight", "s_parameters", "_core", "var", "unmanaged",
        "ActivationRows", "WeightsChanged", "PredictClasses", "Features",
    };

    private static readonly string[] BlockNames = { "Blk", "Block1", "@struct", "Core", "Predict", "Nété", "System", "T" };

    private static readonly string[] ClassShapes = { "public partial class", "partial class", "internal sealed partial class", "public static partial class", "public partial record class" };

    /// <summary>[Network] settings: the written text and whether it is invalid. Values that float32 cannot keep are invalid.</summary>
    private static readonly (string Setting, (string Text, bool Invalid)[] Values)[] Settings =
    {
        ("LearningRate", new[] { ("0.01", false), ("0.5", false), ("1e-4", false), ("1e-45", false), ("0", true), ("-1", true), ("double.NaN", true), ("double.PositiveInfinity", true), ("1e-50", true), ("1e300", true) }),
        ("Momentum", new[] { ("0", false), ("0.9", false), ("1", true), ("-0.1", true), ("double.NaN", true), ("0.999999999", true) }),
        ("Beta1", new[] { ("0.9", false), ("0.5", false), ("1", true), ("double.NaN", true) }),
        ("Beta2", new[] { ("0.999", false), ("0.99", false), ("0.99999997", false), ("0.99999999999", true), ("1", true), ("-1", true) }),
        ("Epsilon", new[] { ("1e-8", false), ("1e-6", false), ("0", true), ("double.NaN", true), ("1e-50", true), ("1e300", true) }),
        ("WeightDecay", new[] { ("0", false), ("1e-4", false), ("-1", true), ("double.PositiveInfinity", true), ("double.NaN", true), ("1e300", true) }),
        ("L1", new[] { ("0", false), ("1e-5", false), ("-1", true), ("double.PositiveInfinity", true) }),
        ("MaxNorm", new[] { ("0", false), ("3", false), ("-1", true), ("double.NaN", true) }),
        ("BatchSize", new[] { ("1", false), ("8", false), ("64", false), ("0", true), ("-5", true) }),
        ("Alpha", new[] { ("0.99", false), ("1", true), ("0.99999999999", true) }),
        ("Rho", new[] { ("0.9", false), ("1", true) }),
        ("LabelSmoothing", new[] { ("0", false), ("0.1", false), ("1", true), ("double.NaN", true) }),
    };

    private static readonly (string Text, bool Invalid)[] Names =
    {
        ("fc", false), ("hidden layer", false), ("dense-2", false), ("层", false), ("a.b", false),
        ("a\\nb", true), ("a\\u2028b", true), ("a\\u2029b", true), ("a\\u0085b", true), ("a\\\\b", true), ("a\\\"b", true), ("<x>", true), ("a\\tb", true),
    };

    private static readonly (string Text, bool Invalid)[] BiasInits =
    {
        ("0", false), ("0.1", false), ("-2", false), ("double.NaN", true), ("double.PositiveInfinity", true), ("double.NegativeInfinity", true), ("1e300", true),
    };

    /// <summary>Activations: the attribute as written and its argument when it has one (text, invalid).</summary>
    private static readonly (string Layer, string? Argument, bool Invalid)[] Activations =
    {
        ("ReLU", null, false), ("Tanh", null, false), ("Sigmoid", null, false),
        ("LeakyReLU", "Slope = 0.01", false), ("LeakyReLU", "Slope = double.PositiveInfinity", true), ("LeakyReLU", "Slope = -1", true), ("LeakyReLU", "Slope = 1e300", true),
        ("ELU", "Alpha = 1.0", false), ("ELU", "Alpha = double.PositiveInfinity", true), ("ELU", "Alpha = 0", true),
        ("Dropout", "0.5", false), ("Dropout", "1", true), ("Dropout", "double.NaN", true),
        // Layers whose arguments float32 must keep (NG0315 errors; NG0316 is a warning, so those declarations stay valid).
        ("Dropout", "0.99999999999", true), ("Dropout", "1e-50", false), ("ELU", "Alpha = 1e-50", true), ("LeakyReLU", "Slope = 1e-50", false),
        ("VanillaDropout", "0.3", false), ("VanillaDropout", "0.99999999999", true), ("GaussianDropout", "0.2", false), ("GaussianDropout", "0.999999999999", true),
        ("BatchNorm1D", null, false), ("BatchNorm1D", "Momentum = 1", false), ("BatchNorm1D", "Momentum = 1e-50", false), ("BatchNorm1D", "Epsilon = 1e-50", true),
        ("LayerNorm", null, false), ("LayerNorm", "Epsilon = 1e-60", true), ("LayerNorm", "Epsilon = double.NaN", true),
        ("LayerNorm", "NormalizedDims = 1", false), ("LayerNorm", "NormalizedDims = 0", true),
    };

    /// <summary>More arguments of a Dense: the written text and whether its last argument is invalid.</summary>
    private static readonly (string Text, bool Invalid)[] DenseExtras =
    {
        ("NormBound = 2", false), ("NormBound = 1, DualRate = 0.5", false), ("DualRate = 0.5", false), ("WeightDecay = 1e-50", false),
        ("NormBound = 1e-50", true), ("NormBound = 1, DualRate = 1e-50", true), ("NormBound = -1", true), ("MaxNorm = 1e300", true),
        ("Init = Init.Sparse, SparseStd = 1e-50", true), ("Init = Init.Orthogonal, InitGain = 2", false), ("Init = Init.Orthogonal, InitGain = 1e-50", true),
    };

    /// <summary>One drawn declaration: the source, the invalid argument texts written in it, and how to call it.</summary>
    public sealed record Declaration(string Source, string[] Invalid, string ClassReference, int Loss);

    private sealed record LayerDraw(int Units, int Name, int Bias, int Activation, bool NoBias, int Extra);

    private static readonly Gen<LayerDraw> LayerGen = Gen.Select(Gen.Int[1, 12], Gen.Int[0, 9999], Gen.Int[0, 9999], Gen.Int[0, 9999], Gen.Int[0, 5], Gen.Int[0, 9999],
        (units, name, bias, activation, noBias, extra) => new LayerDraw(units, name, bias, activation, noBias == 0, extra));

    private static readonly Gen<Declaration> DeclarationGen =
        Gen.Select(
            Gen.Select(Gen.Int[0, Namespaces.Length - 1], Gen.Int[0, 3 * ClassNames.Length], Gen.Int[0, 8 * ClassShapes.Length], Gen.Int[0, 19], Gen.Int[0, 7]),
            Gen.Select(Gen.Int[0, 9], Gen.Int[0, 7], Gen.Int[0, Settings.Length * 4], Gen.Int[0, 1000]).Array[0, 5],
            LayerGen.Array[0, 4],
            Gen.Select(Gen.Int[2, 6], Gen.Int[0, 3], Gen.Int[0, 29], Gen.Int[0, 29]),
            Build);

    private static Declaration Build((int Ns, int Name, int Shape, int Image, int Loss) top, (int Loss, int Optimizer, int Setting, int Value)[] settings, LayerDraw[] layers, (int Outputs, int Channels, int Own, int NoNetwork) tail)
    {
        var invalid = new List<string>();
        string ns = Namespaces[top.Ns];
        string name = top.Name < ClassNames.Length ? ClassNames[top.Name] : "Net";
        string shape = top.Shape < ClassShapes.Length ? ClassShapes[top.Shape] : "public partial class";
        bool primary = top.Image == 19;
        bool image = top.Image < 5;
        int loss = top.Loss;

        var network = new List<string> { image ? "InputShape = new[] { 1, 6, 6 }" : "InputSize = 3", "Loss = (Loss)" + loss.ToString(CultureInfo.InvariantCulture) };
        var written = new HashSet<string>();
        foreach ((int _, int optimizer, int setting, int value) in settings.Take(4))
        {
            if (setting >= Settings.Length)
            {
                continue;
            }

            (string key, (string Text, bool Invalid)[] values) = Settings[setting];
            if (!written.Add(key))
            {
                continue;
            }

            (string text, bool bad) = Pick(values, value);
            string argument = key + " = " + text;
            network.Add(argument);
            if (bad)
            {
                invalid.Add(argument);
            }

            if (written.Count == 1)
            {
                network.Add("Optimizer = (Optimizer)" + optimizer.ToString(CultureInfo.InvariantCulture));
            }
        }

        var sb = new StringBuilder();
        sb.AppendLine("using NetGen;");
        if (ns.Length > 0)
        {
            sb.AppendLine("namespace " + ns + " {");
        }

        bool own = tail.Own == 0;
        if (own)
        {
            sb.AppendLine("public sealed class MyLayerAttribute : LayerAttribute { }");
            invalid.Add("MyLayer");
        }

        string? blockName = null;
        if (tail.Own == 1 && layers.Length > 0 && !image)
        {
            // A residual block of the first hidden layer's width, under a name drawn from the same kind of pool.
            blockName = BlockNames[tail.NoNetwork % BlockNames.Length];
            string width = layers[0].Units.ToString(CultureInfo.InvariantCulture);
            sb.AppendLine($"[Block][Dense({width}), ReLU, Dense({width})] public partial class {blockName} {{ }}");
        }

        if (tail.NoNetwork != 0)
        {
            sb.AppendLine("[Network(" + string.Join(", ", network) + ")]");
        }

        var attributes = new List<string>();
        if (image)
        {
            attributes.Add($"Conv2D({tail.Channels + 1}, 3, Padding = 1)");
            attributes.Add("BatchNorm2D");
            attributes.Add("ReLU");
            attributes.Add("MaxPool2D(2)");
            attributes.Add("Flatten");
        }

        for (int i = 0; i < layers.Length; i++)
        {
            LayerDraw layer = layers[i];
            var arguments = new List<string> { layer.Units.ToString(CultureInfo.InvariantCulture) };
            if (layer.Name % 3 != 0)
            {
                (string text, bool bad) = Pick(Names, layer.Name / 3);
                string argument = "Name = \"" + text + i.ToString(CultureInfo.InvariantCulture) + "\"";
                arguments.Add(argument);
                if (bad)
                {
                    invalid.Add(argument);
                }
            }

            if (layer.NoBias)
            {
                arguments.Add("Bias = false");
            }
            else if (layer.Bias % 3 != 0)
            {
                (string text, bool bad) = Pick(BiasInits, layer.Bias / 3);
                string argument = "BiasInit = " + text;
                arguments.Add(argument);
                if (bad)
                {
                    invalid.Add(argument);
                }
            }

            if (layer.Extra % 4 == 0)
            {
                (string text, bool bad) = Pick(DenseExtras, layer.Extra / 4);
                arguments.Add(text);
                if (bad)
                {
                    invalid.Add(text.Substring(text.LastIndexOf(", ", StringComparison.Ordinal) + 1).Trim());
                }
            }

            attributes.Add("Dense(" + string.Join(", ", arguments) + ")");
            (string activation, string? activationArgument, bool activationBad) = Pick(Activations.Select(a => ((a.Layer, a.Argument), a.Invalid)).ToArray(), layer.Activation) is var ((l, a), b) ? (l, a, b) : default;
            attributes.Add(activationArgument is null ? activation : activation + "(" + activationArgument + ")");
            if (activationBad)
            {
                invalid.Add(activationArgument!);
            }
        }

        if (blockName is not null)
        {
            attributes.Insert(2, $"Residual(typeof({blockName}))");
        }

        int outputs = loss is 0 or 1 or 3 ? tail.Outputs : tail.Outputs - 1;
        attributes.Add("Dense(" + outputs.ToString(CultureInfo.InvariantCulture) + ")");
        if (own)
        {
            attributes.Add("MyLayer");
        }

        sb.AppendLine("[" + string.Join(", ", attributes) + "]");
        sb.AppendLine(shape + " " + name + (primary ? "(int x) { public int X => x; }" : " { }"));
        string twin = name.ToUpperInvariant();
        if (tail.Own == 2 && twin != name && !name.StartsWith("@", StringComparison.Ordinal) && ClassNames.Contains(twin) is false)
        {
            // A second network whose full name differs only in case: two files whose names Roslyn compares without case.
            sb.AppendLine($"[Network(InputSize = 2)][Dense(2)] public partial class {twin} {{ }}");
        }
        if (ns.Length > 0)
        {
            sb.AppendLine("}");
        }

        string reference = "global::" + (ns.Length > 0 ? ns + "." : string.Empty) + name;
        return new Declaration(sb.ToString(), invalid.Distinct().ToArray(), reference, loss);
    }

    /// <summary>Three times in four a valid value, else any: most declarations are then valid enough to compile.</summary>
    private static (T Value, bool Invalid) Pick<T>((T Value, bool Invalid)[] values, int draw)
    {
        (T Value, bool Invalid)[] valid = values.Where(v => !v.Invalid).ToArray();
        return draw % 4 != 0 && valid.Length > 0 ? valid[(draw / 4) % valid.Length] : values[(draw / 4) % values.Length];
    }

    /// <summary>Code that uses every public member of the generated class, as a user would.</summary>
    private static string Caller(Declaration d, string generated)
    {
        string c = d.ClassReference;
        bool labels = d.Loss is 0 or 1 or 3;
        string target = labels ? $"new int[2]" : $"new float[{c}.OutputSize * 2]";
        string targetType = labels ? "int" : "float";
        var sb = new StringBuilder();
        sb.AppendLine("namespace FuzzCaller");
        sb.AppendLine("{");
        sb.AppendLine("public static class Caller");
        sb.AppendLine("{");
        sb.AppendLine("public static double Use()");
        sb.AppendLine("{");
        sb.AppendLine($"{c} net = new {c}(42UL);");
        sb.AppendLine($"float[] x = new float[{c}.InputSize * 2];");
        sb.AppendLine($"float[] y = new float[{c}.OutputSize * 2];");
        sb.AppendLine($"{targetType}[] t = {target};");
        sb.AppendLine("net.Predict(x, y);");
        sb.AppendLine("double total = net.TrainStep(x, t) + net.ComputeGradients(x, t);");
        sb.AppendLine("global::NetGen.GradCheckResult check = net.GradCheck(x, t);");
        if (d.Loss == 0)
        {
            sb.AppendLine($"float[] q = new float[{c}.OutputSize * 2];");
            sb.AppendLine("total += net.TrainStep(x, q) + net.ComputeGradients(x, q);");
            sb.AppendLine("check = net.GradCheck(x, q);");
        }

        sb.AppendLine("using (global::System.IO.MemoryStream ms = new global::System.IO.MemoryStream())");
        sb.AppendLine("{");
        sb.AppendLine("net.Save(ms); net.Load(ms); net.SaveTrainingState(ms); net.LoadTrainingState(ms); net.ExportOnnx(ms);");
        if (generated.Contains("FoldBatchNorm()", StringComparison.Ordinal))
        {
            sb.AppendLine("net.SaveInference(ms); net.FoldBatchNorm().Predict(x, y); net.FoldBatchNorm().Save(ms);");
        }

        sb.AppendLine("}");
        sb.AppendLine("net.Save(\"p\"); net.Load(\"p\"); net.SaveTrainingState(\"p\"); net.LoadTrainingState(\"p\"); net.ExportOnnx(\"p\");");
        sb.AppendLine("string summary = net.Summary();");
        sb.AppendLine("global::System.Span<float> p = net.Parameters;");
        sb.AppendLine("global::System.ReadOnlySpan<float> g = net.Gradients;");
        sb.AppendLine("total += net.GetParameter(0).Length + net.GetParameter(\"0.weight\").Length + net.GetGradient(0).Length + net.GetGradient(\"0.weight\").Length;");
        sb.AppendLine("total += net.GetBuffer(\"1.running_mean\").Length + net.GetCounter(\"1.num_batches_tracked\");");
        sb.AppendLine("net.LearningRate = 0.1; net.ClipGradientValue = 1.0; net.ClipGradientNorm = null;");
        sb.AppendLine("total += net.LastGradientNorm + net.Seed + net.Step + net.LearningRate + p.Length + g.Length + summary.Length;");
        sb.AppendLine($"total += {c}.InputSize + {c}.OutputSize + {c}.MaxBatch + {c}.ParameterCount + {c}.InputShape.Count + {c}.ParameterTable.Count + {c}.BufferTable.Count;");
        sb.AppendLine($"global::NetGen.INeuralNetwork<{targetType}> typed = net;");
        sb.AppendLine("global::NetGen.INeuralNetwork untyped = net;");
        sb.AppendLine("return total + check.MaxRelativeError + typed.TrainStep(x, t) + untyped.Name.Length;");
        sb.AppendLine("}");
        sb.AppendLine("}");
        sb.AppendLine("}");
        return sb.ToString();
    }

    private static readonly string[] DeclarationErrors = { "NG0001", "NG0002", "NG0003", "NG0008", "NG0010", "NG0011", "NG0012", "NG0013" };

    private static readonly CSharpParseOptions Diagnose = CSharpParseOptions.Default.WithLanguageVersion(LanguageVersion.Latest).WithDocumentationMode(DocumentationMode.Diagnose);

    private static long s_compiled, s_invalidChecked, s_refused, s_total;

    /// <summary>The properties, for one declaration.</summary>
    internal static void Check(Declaration d)
    {
        Interlocked.Increment(ref s_total);
        CSharpCompilation input = GeneratorHarness.Compilation();
        input = input.AddSyntaxTrees(CSharpSyntaxTree.ParseText(d.Source, Diagnose, path: "Input0.cs"));
        GeneratorDriver driver = CSharpGeneratorDriver.Create(new[] { new NetGenGenerator().AsSourceGenerator() }, parseOptions: Diagnose)
            .RunGeneratorsAndUpdateCompilation(input, out Compilation output, out ImmutableArray<Diagnostic> diagnostics);
        GeneratorRunResult run = driver.GetRunResult().Results.Single();

        // 1. Never throws (CS8785), never NG9001.
        if (run.Exception is not null)
        {
            throw new InvalidOperationException("The generator threw: " + run.Exception);
        }

        if (diagnostics.FirstOrDefault(x => x.Id == "NG9001") is { } internalError)
        {
            throw new InvalidOperationException("NG9001: " + internalError.GetMessage());
        }

        Diagnostic[] errors = diagnostics.Where(x => x.Severity == DiagnosticSeverity.Error).ToArray();
        bool refused = errors.Any(x => DeclarationErrors.Contains(x.Id));

        // 2. Every invalid value is reported, on its own argument.
        if (refused)
        {
            Interlocked.Increment(ref s_refused);
        }
        else
        {
            Interlocked.Add(ref s_invalidChecked, d.Invalid.Length);
            var reported = errors.Select(x => Text(output, x)).ToHashSet();
            foreach (string argument in d.Invalid)
            {
                if (!reported.Contains(argument) && !UserCodeHasProblems(input))
                {
                    throw new InvalidOperationException($"Invalid '{argument}' was not reported; the generator said: " + string.Join(" | ", diagnostics.Select(x => x.Id + " on '" + Text(output, x) + "'")));
                }
            }
        }

        // 3. Without errors: the declaration, the generated code and a caller of the whole API compile with no warning.
        if (errors.Length == 0)
        {
            string generated = string.Concat(run.GeneratedSources.Select(s => s.SourceText.ToString()));
            int networks = d.Source.Split("[Network(").Length - 1;
            if (UserCodeHasProblems(input))
            {
                return; // the compiler reports the declaration's own mistake; there is nothing to call
            }

            if (run.GeneratedSources.Length != networks || run.GeneratedSources.Select(x => x.HintName.ToUpperInvariant()).Distinct().Count() != networks)
            {
                throw new InvalidOperationException($"{run.GeneratedSources.Length} files generated for {networks} networks without errors: " + string.Join(", ", run.GeneratedSources.Select(x => x.HintName)));
            }

            Compilation full = output.AddSyntaxTrees(CSharpSyntaxTree.ParseText(Caller(d, generated), Diagnose, path: "Caller.cs"));
            Diagnostic[] problems = full.GetDiagnostics().Where(x => x.Severity >= DiagnosticSeverity.Warning && x.Id != "CS1591").ToArray();
            if (problems.Length > 0)
            {
                throw new InvalidOperationException("The compilation has problems: " + string.Join(" | ", problems.Take(5).Select(x => x.ToString())));
            }

            Interlocked.Increment(ref s_compiled);
        }
    }

    /// <summary>The declaration itself has a compiler error or warning (e.g. a class in the global namespace named
    /// NetGen, CS0437, which hides the attributes from the generator): the compiler reports it.</summary>
    private static bool UserCodeHasProblems(CSharpCompilation input) =>
        input.GetSemanticModel(input.SyntaxTrees.Single()).GetDiagnostics().Any(x => x.Severity >= DiagnosticSeverity.Warning && x.Id != "CS1591");

    private static string Text(Compilation output, Diagnostic diagnostic)
    {
        FileLinePositionSpan position = diagnostic.Location.GetLineSpan();
        SyntaxTree? tree = output.SyntaxTrees.FirstOrDefault(t => t.FilePath == position.Path);
        return tree is null ? "(no location)" : tree.GetText().ToString(diagnostic.Location.SourceSpan);
    }

    private static long Cases() =>
        long.TryParse(Environment.GetEnvironmentVariable("NETGEN_FUZZ_CASES"), NumberStyles.Integer, CultureInfo.InvariantCulture, out long n) && n > 0 ? n : DefaultCases;

    private readonly ITestOutputHelper _output;

    public GeneratorFuzzTests(ITestOutputHelper output) => _output = output;

    [Fact]
    public void RandomDeclarations_NeverThrow_CompileWhenValid_AndReportEveryInvalidValue()
    {
        string? seed = Environment.GetEnvironmentVariable("NETGEN_FUZZ_SEED");
        long cases = Cases();
        DeclarationGen.Sample(Check, writeLine: _output.WriteLine, seed: string.IsNullOrEmpty(seed) ? null : seed, iter: cases, print: d => d.Source + "\ninvalid: " + string.Join(", ", d.Invalid));
        string stats = $"{s_total} declarations checked: {s_compiled} compiled with a caller of the whole API, {s_invalidChecked} invalid values found reported, {s_refused} classes refused (NG0001–NG0013).";
        _output.WriteLine(stats);
        Console.WriteLine(stats);

        // Each property was exercised, not only drawn.
        Assert.True(s_compiled >= cases / 10, stats);
        Assert.True(s_invalidChecked >= cases / 10, stats);
    }

    [Fact]
    public void TheGeneratorDrawsValidAndInvalidDeclarations()
    {
        // The fuzzer is only as good as its draws: among many, some are fully valid (so the compile property runs) and
        // some carry each kind of invalid value.
        List<Declaration> sample = DeclarationGen.Array[1000].Single().ToList();
        var kinds = new (string What, Func<Declaration, bool> Is)[]
        {
            ("valid", d => d.Invalid.Length == 0 && d.Source.Contains("partial class Net {", StringComparison.Ordinal)),
            ("invalid name", d => d.Invalid.Any(a => a.StartsWith("Name", StringComparison.Ordinal))),
            ("invalid BiasInit", d => d.Invalid.Any(a => a.StartsWith("BiasInit", StringComparison.Ordinal))),
            ("layer value float32 rounds to 0 or 1", d => d.Invalid.Any(a => a.Contains("1e-50", StringComparison.Ordinal) || a.Contains("1e-60", StringComparison.Ordinal) || a.Contains("0.99999999999", StringComparison.Ordinal))),
            ("invalid Dense constraint", d => d.Invalid.Any(a => a.StartsWith("NormBound", StringComparison.Ordinal) || a.StartsWith("DualRate", StringComparison.Ordinal))),
            ("invalid LearningRate", d => d.Invalid.Any(a => a.StartsWith("LearningRate", StringComparison.Ordinal))),
            ("own layer attribute", d => d.Invalid.Contains("MyLayer")),
            ("static class", d => d.Source.Contains("static partial class", StringComparison.Ordinal)),
            ("record", d => d.Source.Contains("record class", StringComparison.Ordinal)),
            ("primary constructor", d => d.Source.Contains("(int x)", StringComparison.Ordinal)),
            ("residual block", d => d.Source.Contains("Residual(typeof(", StringComparison.Ordinal)),
            ("case twin", d => d.Source.Contains("[Network(InputSize = 2)]", StringComparison.Ordinal)),
            ("layers without [Network]", d => !d.Source.Contains("[Network(", StringComparison.Ordinal)),
        };
        Assert.Empty(kinds.Where(k => !sample.Any(k.Is)).Select(k => k.What + " never drawn"));
    }
}
