using System.Collections.Generic;
using System.Linq;
using NetGen.Generator.Emitter;
using NetGen.Generator.Model;
using NetGen.Generator.Planner;

namespace NetGen.Generator.Catalog;

/// <summary>
/// What an entry's <see cref="LayerEntry.EmitOnnx"/> needs to map one node to ONNX nodes: the names of its input and
/// output values, its arguments and shapes (<see cref="Node"/>), and methods that write the generated <c>ExportOnnx</c>
/// calls adding initializers (state tensors, named by their state_dict keys) and nodes. Names: the graph input is
/// "input", the last node's output "output", any other node output "/path/output", an intermediate value
/// "/path/OpType_output_k" and a node "/path/OpType" (the layer's path, its dots as slashes, as PyTorch's exporter scopes names).
/// </summary>
internal sealed class OnnxContext
{
    private readonly List<string> _lines;
    private int _ops;

    public OnnxContext(NodeContext node, List<string> lines)
    {
        Node = node;
        _lines = lines;
    }

    public NodeContext Node { get; }

    public EquatableArray<ArgumentValue> Args => Node.Args;

    /// <summary>The ONNX value name of the node's input <paramref name="i"/>.</summary>
    public string Input(int i = 0) => ValueName(Node.Plan, Node.Node.Inputs[i]);

    /// <summary>The ONNX value name of the node's output.</summary>
    public string Output => ValueName(Node.Plan, Node.Node.Output);

    /// <summary>The ONNX name of the value tensor <paramref name="id"/> holds.</summary>
    public static string ValueName(Plan plan, int id)
    {
        if (id == 0)
        {
            return "input";
        }

        NodePlan producer = plan.Nodes[plan.Tensors[id].Producer];
        return producer.Ordinal == plan.Nodes.Count - 1 ? "output" : Prefix(producer) + "output";
    }

    /// <summary>Adds the node's state tensor <paramref name="local"/> as an initializer named by its state_dict key,
    /// with its PyTorch shape or <paramref name="dims"/> (same values, another shape, e.g. PReLU's slopes as [C, 1, 1]),
    /// and returns the name.</summary>
    public string State(string local, long[]? dims = null)
    {
        StatePlan s = Node.State(local);
        string arena = s.Role == StateRole.Parameter ? "_core.Params" : "_core.Buffers";
        string shape = Longs(dims ?? s.Shape.Select(d => (long)d).ToArray());
        string name = dims is null ? s.Key : s.Key + "_" + string.Join("x", dims);
        _lines.Add($"g.Initializer(\"{name}\", {shape}, new global::System.ReadOnlySpan<float>({arena}, {EmitNames.StateConst(s)}, {NodeContext.I(s.Length)})); // {s.Key} {NetworkEmitter.Shape(s.Shape)}");
        return name;
    }

    /// <summary>Adds a constant float initializer "{path}.{local}" filled with <paramref name="value"/> (BatchNorm's γ = 1
    /// when the layer has no affine parameters) and returns its name.</summary>
    public string Constant(string local, long[] dims, double value)
    {
        string name = Node.Node.Path + "." + local;
        _lines.Add($"g.Constant(\"{name}\", {Longs(dims)}, {Single(value)});");
        return name;
    }

    /// <summary>Adds a constant int64 initializer "{path}.{local}" holding <paramref name="values"/> as a vector (a shape
    /// for Reshape, pads for Pad, axes for Unsqueeze and Squeeze) and returns its name.</summary>
    public string Int64s(string local, params long[] values)
    {
        string name = Node.Node.Path + "." + local;
        _lines.Add($"g.Int64Initializer(\"{name}\", new long[] {{ {NodeContext.I(values.Length)} }}, {Longs(values)});");
        return name;
    }

    /// <summary>Adds the node that computes the layer's output: <paramref name="op"/> on <paramref name="inputs"/>.</summary>
    public void Op(string op, string[] inputs, params string[] attributes) => Op(op, inputs, Output, attributes);

    /// <summary>Adds an intermediate node and returns its output's name (the last one written must be <see cref="Op(string, string[], string[])"/>).</summary>
    public string Intermediate(string op, string[] inputs, params string[] attributes)
    {
        string output = Prefix(Node.Node) + op + "_output_" + NodeContext.I(_ops);
        Op(op, inputs, output, attributes);
        return output;
    }

    private void Op(string op, string[] inputs, string output, string[] attributes)
    {
        string name = Prefix(Node.Node) + op + (_ops == 0 ? string.Empty : "_" + NodeContext.I(_ops));
        _ops++;
        string attrs = attributes.Length == 0 ? string.Empty : ", " + string.Join(", ", attributes);
        _lines.Add($"g.Node(\"{op}\", \"{name}\", new string[] {{ {string.Join(", ", inputs.Select(i => "\"" + i + "\""))} }}, \"{output}\"{attrs});");
    }

    /// <summary>An INT attribute, as generated code.</summary>
    public static string Int(string name, long value) => $"global::NetGen.Onnx.OnnxAttribute.Int(\"{name}\", {NodeContext.I(value)})";

    /// <summary>A FLOAT attribute, as generated code.</summary>
    public static string Float(string name, double value) => $"global::NetGen.Onnx.OnnxAttribute.Float(\"{name}\", {Single(value)})";

    /// <summary>An INTS attribute, as generated code.</summary>
    public static string Ints(string name, params long[] values) => $"global::NetGen.Onnx.OnnxAttribute.Ints(\"{name}\", {string.Join(", ", values.Select(v => NodeContext.I(v)))})";

    private static string Single(double value) => ((float)value).ToString("R", System.Globalization.CultureInfo.InvariantCulture) + "f";

    private static string Longs(long[] values) => values.Length == 0 ? "global::System.Array.Empty<long>()" : $"new long[] {{ {string.Join(", ", values.Select(v => NodeContext.I(v)))} }}";

    /// <summary>"/3/branch/0/": the node's path as PyTorch's exporter scopes it.</summary>
    private static string Prefix(NodePlan node) => "/" + node.Path.Replace('.', '/') + "/";
}
