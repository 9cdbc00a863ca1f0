using System;
using System.Collections.Generic;
using System.Globalization;
using NetGen.Generator.Catalog;
using NetGen.Generator.Diagnostics;
using NetGen.Generator.Model;

namespace NetGen.Generator.Planner;

/// <summary>
/// NetworkSpec in, Plan out. Walks the layers once, asking each catalog entry for its output shape and its
/// parameters; checks wiring (NG01xx). Pure C#: unit-testable without Roslyn.
/// </summary>
internal static class NetworkPlanner
{
    public static (Plan Plan, EquatableArray<DiagnosticInfo> Diagnostics) CreatePlan(NetworkSpec spec, EquatableArray<DiagnosticInfo> parseDiagnostics)
    {
        var diagnostics = new List<DiagnosticInfo>(parseDiagnostics);

        if (spec.Layers.Count == 0)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NoLayers, spec.AttributeLocation, spec.ClassName));
        }

        if (spec.InputSize <= 0)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.MissingInputSize, spec.LocationOf("InputSize"), spec.ClassName, spec.InputSize));
        }

        var layers = new List<LayerPlan>();
        var parameters = new List<ParamPlan>();
        int parameterOffset = 0;
        int arenaOffset = 0;
        int widest = 0;
        long flops = 0;
        bool shapesKnown = spec.InputSize > 0;
        DiagnosticInfo? tooLarge = null;
        LocationInfo? widthSetBy = spec.LocationOf("InputSize"); // where the current activation width was declared
        var shape = new EquatableArray<int>(new[] { Math.Max(spec.InputSize, 0) });
        int batch = Math.Max(spec.BatchSize, 1);

        for (int i = 0; i < spec.Layers.Count && shapesKnown; i++)
        {
            LayerSpec layer = spec.Layers[i];
            ILayerEntry entry = LayerCatalog.Get(layer.Kind);
            EquatableArray<int> output = entry.OutputShape(layer, shape);
            int inSize = Product(shape);
            int outSize = Product(output);
            if (outSize <= 0)
            {
                shapesKnown = false; // NG0201 was already reported on the attribute
                break;
            }

            // NG0104: the parameters and the activations each live in one array; sizes are checked in long here, before
            // the int arithmetic below (and in the generated code) could overflow.
            long layerParameters = 0;
            foreach (ParameterShape p in entry.Parameters(layer, shape, output))
            {
                layerParameters += ProductLong(p.Shape);
            }

            if (layer.Kind == LayerKind.Dense)
            {
                widthSetBy = layer.ArgumentLocation ?? layer.Location;
            }

            long layerActivations = (long)batch * outSize * (layer.Kind == LayerKind.Dropout ? 2 : 1);
            if (parameterOffset + layerParameters > MaxArrayLength)
            {
                tooLarge = TooLarge(spec, layer.ArgumentLocation ?? layer.Location, $"the parameters up to layer '{Display(layer, i)}'", parameterOffset + layerParameters, "Use fewer units or a smaller InputSize.");
            }
            else if (arenaOffset + layerActivations > MaxArrayLength)
            {
                tooLarge = TooLarge(spec, spec.WrittenLocationOf("BatchSize") ?? widthSetBy, $"the activations of a batch of {Format(batch)} rows up to layer '{Display(layer, i)}'", arenaOffset + layerActivations, "Use a smaller BatchSize (Predict splits larger inputs into batches of BatchSize rows) or fewer units.");
            }

            if (tooLarge is not null)
            {
                diagnostics.Add(tooLarge);
                shapesKnown = false;
                break;
            }

            string name = layer.Name ?? entry.DefaultName + "_" + i.ToString(CultureInfo.InvariantCulture);
            int weight = -1, bias = -1;
            foreach (ParameterShape p in entry.Parameters(layer, shape, output))
            {
                int length = Product(p.Shape);
                InitRule init = p.Init ?? ResolveWeightInit(layer, spec, i, inSize, outSize);
                parameters.Add(new ParamPlan(parameters.Count, i.ToString(CultureInfo.InvariantCulture) + "." + p.Suffix, name, p.Shape, parameterOffset, length, p.WeightDecay, init));
                if (p.IsBias)
                {
                    bias = parameters.Count - 1;
                }
                else
                {
                    weight = parameters.Count - 1;
                }

                parameterOffset = checked(parameterOffset + length);
            }

            int outputOffset = arenaOffset;
            arenaOffset = checked(arenaOffset + checked(batch * outSize));
            int maskOffset = -1;
            if (layer.Kind == LayerKind.Dropout)
            {
                maskOffset = arenaOffset;
                arenaOffset = checked(arenaOffset + checked(batch * outSize));
            }

            long layerFlops = entry.FlopsPerSample(inSize, outSize, layer);
            flops += layerFlops;
            widest = Math.Max(widest, outSize);
            layers.Add(new LayerPlan(i, layer.Kind, name, shape, output, inSize, outSize, outputOffset, maskOffset, weight, bias, layer.Argument, layerFlops));
            shape = output;
        }

        if (IsNarrowPair(layers))
        {
            // The fused pair never stores the outputs of [0] and [1]: they get no room in the activation arena.
            int unstored = checked(2 * batch * layers[0].OutputSize);
            for (int i = 0; i < layers.Count; i++)
            {
                LayerPlan l = layers[i];
                layers[i] = i < 2
                    ? l with { OutputOffset = -1 }
                    : l with { OutputOffset = l.OutputOffset - unstored, MaskOffset = l.MaskOffset >= 0 ? l.MaskOffset - unstored : -1 };
            }

            arenaOffset -= unstored;

            // Nor does any gradient buffer hold a [B, hidden] tensor: the widest is now among the later layers.
            widest = 0;
            for (int i = 2; i < layers.Count; i++)
            {
                widest = Math.Max(widest, layers[i].OutputSize);
            }
        }

        if (tooLarge is null && shapesKnown)
        {
            tooLarge = CheckRuntimeBuffers(spec, layers, batch);
            if (tooLarge is not null)
            {
                diagnostics.Add(tooLarge);
            }
        }

        int outputSize = layers.Count > 0 ? layers[layers.Count - 1].OutputSize : 0;
        if (layers.Count > 0 && outputSize < 2 && tooLarge is null)
        {
            LayerSpec last = LastDense(spec) ?? spec.Layers[spec.Layers.Count - 1];
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.TooFewClasses, last.ArgumentLocation ?? last.Location, spec.ClassName, outputSize, spec.Training.Loss));
        }

        var errors = new List<string>();
        foreach (DiagnosticInfo diagnostic in diagnostics)
        {
            if (diagnostic.IsError)
            {
                errors.Add(diagnostic.Message);
            }
        }

        var plan = new Plan(
            spec.Namespace,
            spec.ClassName,
            spec.InputSize,
            outputSize,
            batch,
            spec.Training,
            layers.ToEquatableArray(),
            parameters.ToEquatableArray(),
            parameterOffset,
            arenaOffset,
            checked(batch * Math.Max(widest, 1)),
            flops,
            errors.ToEquatableArray());
        return (plan, diagnostics.ToEquatableArray());
    }

    /// <summary>He for the ReLU family that follows the layer (dropout in between is looked through), Glorot otherwise.</summary>
    private static InitRule ResolveWeightInit(LayerSpec layer, NetworkSpec spec, int index, int fanIn, int fanOut)
    {
        InitKind kind = layer.Init;
        if (kind == InitKind.Auto)
        {
            kind = InitKind.GlorotUniform;
            for (int j = index + 1; j < spec.Layers.Count; j++)
            {
                LayerKind next = spec.Layers[j].Kind;
                if (next is LayerKind.Dropout or LayerKind.Identity)
                {
                    continue;
                }

                if (next is LayerKind.ReLU or LayerKind.LeakyReLU or LayerKind.PReLU or LayerKind.Elu)
                {
                    kind = InitKind.HeNormal;
                }

                break;
            }
        }

        string fi = fanIn.ToString(CultureInfo.InvariantCulture), fo = fanOut.ToString(CultureInfo.InvariantCulture);
        return kind switch
        {
            InitKind.HeNormal => new InitRule(InitDistribution.Normal, Math.Sqrt(2.0 / fanIn), $"He normal: N(0, 2/n_in), std = √(2/{fi})"),
            InitKind.HeUniform => new InitRule(InitDistribution.Uniform, Math.Sqrt(6.0 / fanIn), $"He uniform: U(±√(6/n_in)) = U(±√(6/{fi}))"),
            InitKind.GlorotNormal => new InitRule(InitDistribution.Normal, Math.Sqrt(2.0 / (fanIn + fanOut)), $"Glorot normal: N(0, 2/(n_in+n_out)), std = √(2/({fi}+{fo}))"),
            InitKind.SmallNormal => new InitRule(InitDistribution.Normal, 0.01, "small normal: 0.01·N(0, 1)"),
            InitKind.PyTorchDefault => new InitRule(InitDistribution.Uniform, 1.0 / Math.Sqrt(fanIn), $"PyTorch default: U(±1/√n_in) = U(±1/√{fi})"),
            _ => new InitRule(InitDistribution.Uniform, Math.Sqrt(6.0 / (fanIn + fanOut)), $"Glorot uniform: U(±√(6/(n_in+n_out))) = U(±√(6/({fi}+{fo})))"),
        };
    }

    private static LayerSpec? LastDense(NetworkSpec spec)
    {
        for (int i = spec.Layers.Count - 1; i >= 0; i--)
        {
            if (spec.Layers[i].Kind == LayerKind.Dense)
            {
                return spec.Layers[i];
            }
        }

        return null;
    }

    /// <summary>
    /// The GEMM kernel for C[m,n] = A[m,k]·B[k,n], by the rule of <c>NetGen.Kernels.Gemm.Choose</c> (a test keeps the two
    /// equal): "Direct" under 6 rows, under 4 columns or depth, or under 2¹⁵ multiply-adds; "PackedParallel" from 2²⁰;
    /// "Packed" in between. The batch is the planned one (BatchSize); see docs/performance.md.
    /// </summary>
    internal static string ChooseGemm(int m, int n, int k)
    {
        long work = (long)m * n * k;
        if (m < 6 || n < 4 || k < 4 || work < (1L << 15))
        {
            return "Direct";
        }

        return work >= (1L << 20) ? "PackedParallel" : "Packed";
    }

    /// <summary>Largest input count and output count of a fused narrow pair (the runtime's DenseReLUDense.MaxInputs/MaxOutputs).</summary>
    internal const int NarrowPairLimit = 4;

    /// <summary>
    /// Whether layers 0, 1, 2 form a narrow pair that runs as one fused kernel (<c>DenseReLUDense</c>): Dense with at
    /// most 4 inputs, ReLU, Dense with at most 4 outputs, at the start of the network (the input needs no gradient).
    /// Its hidden activations are recomputed in the backward pass instead of stored: see docs/performance.md.
    /// </summary>
    internal static bool IsNarrowPair(IReadOnlyList<LayerPlan> layers) =>
        layers.Count >= 3 &&
        layers[0].Kind == LayerKind.Dense && layers[1].Kind == LayerKind.ReLU && layers[2].Kind == LayerKind.Dense &&
        layers[0].InputSize >= 1 && layers[0].InputSize <= NarrowPairLimit &&
        layers[2].OutputSize >= 1 && layers[2].OutputSize <= NarrowPairLimit;

    /// <summary>Whether layer <paramref name="index"/> is one of the three a fused narrow pair runs.</summary>
    internal static bool InNarrowPair(IReadOnlyList<LayerPlan> layers, int index) =>
        index >= 0 && index < 3 && IsNarrowPair(layers);

    /// <summary>The most elements one .NET array holds (<c>Array.MaxLength</c>, which netstandard2.0 lacks). The parameter
    /// arena, the activation arena, each pre-packed weight matrix and the narrow pair's scratch are one array each.</summary>
    internal const long MaxArrayLength = 0x7FFFFFC7;

    /// <summary>The widest GEMM panel of any machine (NR for float with Vector512): pre-packed Wᵀ rounds its columns up
    /// to it (<c>PackedGemm.PackedLength</c>).</summary>
    internal const int WidestPanel = 32;

    /// <summary>NG0104 for the buffers the runtime kernels allocate beside the arenas: each pre-packed Wᵀ (columns rounded
    /// up to <see cref="WidestPanel"/>) and the fused narrow pair's scratch (<c>DenseReLUDense.ScratchLength</c>).</summary>
    private static DiagnosticInfo? CheckRuntimeBuffers(NetworkSpec spec, List<LayerPlan> layers, int batch)
    {
        bool pair = IsNarrowPair(layers);
        if (pair)
        {
            long scratch = PairScratchLength(layers[0].InputSize, layers[0].OutputSize, layers[2].OutputSize);
            if (scratch > MaxArrayLength)
            {
                LayerSpec hidden = spec.Layers[0];
                return TooLarge(spec, hidden.ArgumentLocation ?? hidden.Location, $"the scratch of the fused layers '{Display(hidden, 0)}' to '{Display(spec.Layers[2], 2)}'", scratch, "Use fewer units.");
            }
        }

        foreach (LayerPlan layer in layers)
        {
            if (layer.Kind != LayerKind.Dense || (pair && layer.Index < 3) || ChooseGemm(batch, layer.OutputSize, layer.InputSize) == "Direct")
            {
                continue;
            }

            long packed = RoundUp(layer.OutputSize, WidestPanel) * layer.InputSize;
            if (packed > MaxArrayLength)
            {
                LayerSpec dense = spec.Layers[layer.Index];
                return TooLarge(spec, dense.ArgumentLocation ?? dense.Location, $"the pre-packed weights of layer '{Display(dense, layer.Index)}'", packed, "Use fewer units or a smaller InputSize.");
            }
        }

        return null;
    }

    /// <summary>Elements of the fused narrow pair's scratch, <c>DenseReLUDense.ScratchLength</c> in long (a test keeps the two
    /// equal): (I + 1 + O) rows of the hidden width padded to 16, twice.</summary>
    internal static long PairScratchLength(int inputs, int hidden, int outputs) =>
        2L * (inputs + 1 + outputs) * RoundUp(hidden, 16);

    private static DiagnosticInfo TooLarge(NetworkSpec spec, LocationInfo? location, string what, long needed, string fix) =>
        DiagnosticInfo.Create(DiagnosticDescriptors.NetworkTooLarge, location, spec.ClassName, what, Format(needed), Format(MaxArrayLength), fix);

    private static string Display(LayerSpec layer, int index) => layer.Name ?? $"{layer.Kind} #{index.ToString(CultureInfo.InvariantCulture)}";

    private static string Format(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    private static long RoundUp(long value, int multiple) => (value + multiple - 1) / multiple * multiple;

    internal static long ProductLong(EquatableArray<int> shape)
    {
        long product = 1;
        foreach (int d in shape)
        {
            product *= d;
        }

        return product;
    }

    internal static int Product(EquatableArray<int> shape)
    {
        int product = 1;
        foreach (int d in shape)
        {
            product = checked(product * d);
        }

        return product;
    }
}
