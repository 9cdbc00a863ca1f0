using System.Collections.Generic;
using System.Linq;
using NetGen.Generator.Catalog;
using NetGen.Generator.Lowering;
using NetGen.Generator.Planner;

namespace NetGen.Generator.Emitter;

internal static partial class NetworkEmitter
{
    /// <summary>ExportOnnx(Stream) and ExportOnnx(path): the inference graph as an ONNX model (docs/internals.md, "Export
    /// to ONNX"). Each node's entry writes its ONNX nodes through an <see cref="OnnxContext"/>; when one has no mapping,
    /// ExportOnnx is written as a method that throws NotSupportedException naming that layer, its kind and why.</summary>
    private static void EmitOnnxExport(SourceWriter w, CpuPlan cpu, bool cuda)
    {
        Plan plan = cpu.Plan;
        string name = plan.ClassName;
        var lines = new List<string>();
        string? unsupported = null;
        foreach (NodePlan node in plan.Nodes)
        {
            LayerEntry entry = LayerCatalog.Get(node.Kind);
            var c = new NodeContext(cpu, node);
            lines.Add($"// [{node.Label}] {node.Name}: {entry.Title(c)}");
            if (!entry.EmitOnnx(new OnnxContext(c, lines)))
            {
                unsupported = $"Network '{name}' cannot be exported to ONNX: layer '{node.Name}' ({entry.Kind}, at {node.Path}) has no ONNX mapping: {entry.OnnxUnsupportedReason}.";
                break;
            }
        }

        if (unsupported is null && LossCatalog.Get(plan.Training.Loss).OnnxUnsupportedReason is { } lossReason)
        {
            unsupported = $"Network '{name}' cannot be exported to ONNX: {lossReason}.";
        }

        string input = Shape(plan.InputShape).Trim('[', ']');
        string output = Shape(plan.OutputShape).Trim('[', ']');
        w.WriteLine();
        w.WriteLine("/// <summary>Writes the inference graph (evaluation mode: dropout and stochastic depth are the identity, batch normalisation");
        w.WriteLine($"/// uses its running statistics) as an ONNX model, opset {I(17)}: input \"input\" float32 [batch, {input}], output \"output\" float32");
        w.WriteLine("/// [batch, " + output + "] (what <see cref=\"Predict\"/> returns), batch any size; the current weights and buffers as initializers");
        w.WriteLine("/// named by their state_dict keys. The same network writes the same bytes.");
        w.WriteLine("/// Throws <see cref=\"global::System.NotSupportedException\"/> when a layer has no ONNX mapping (docs/internals.md lists them).</summary>");
        w.WriteLine("public void ExportOnnx(global::System.IO.Stream stream)");
        w.OpenBrace();
        if (unsupported is not null)
        {
            w.WriteLine("global::System.ArgumentNullException.ThrowIfNull(stream);");
            w.WriteLine($"throw new global::System.NotSupportedException({Literal(unsupported)});");
        }
        else
        {
            if (cuda)
            {
                w.WriteLine("CopyFromDevice(); // Backend.Cuda: the weights from the device into the host mirror first (a no-op on the CPU)");
            }

            w.WriteLine($"var g = new global::NetGen.Onnx.OnnxGraphBuilder(\"{name}\", \"{Version}\", new int[] {{ {input} }}, new int[] {{ {output} }});");
            foreach (string line in lines)
            {
                w.WriteLine(line);
            }

            w.WriteLine("g.WriteTo(stream);");
        }

        w.CloseBrace();
        w.WriteLine();
        w.WriteLine("/// <summary>Writes the inference graph as an ONNX model file (see <see cref=\"ExportOnnx(global::System.IO.Stream)\"/>).</summary>");
        w.WriteLine("public void ExportOnnx(string path)");
        w.OpenBrace();
        w.WriteLine("global::NetGen.ModelFile.Write(path, ExportOnnx); // a temporary file, flushed, renamed over path: never half a file");
        w.CloseBrace();
    }
}
