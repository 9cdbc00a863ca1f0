using System;
using System.Collections.Generic;
using System.ComponentModel;
using System.IO;

namespace NetGen.Onnx;

/// <summary>
/// Builds an ONNX model (ModelProto, IR version 8, default-domain opset 17) for a generated network's <c>ExportOnnx</c>:
/// one graph input <see cref="InputName"/> [batch, …input shape], one graph output <see cref="OutputName"/> [batch,
/// …output shape] with the symbolic batch dimension <see cref="BatchDimension"/>, the weights as float32 initializers
/// named by their state_dict keys, and the nodes in execution order. The bytes depend only on what is added, in the order
/// it is added (no timestamps, no hashing of maps), so the same network gives the same file. Written by the generated
/// code; see docs/internals.md, "Export to ONNX".
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class OnnxGraphBuilder
{
    /// <summary>The default-domain operator set the graph uses (LayerNormalization needs 17).</summary>
    public const int Opset = 17;

    /// <summary>The ONNX IR version written (8 is the first to carry opset 17).</summary>
    public const long IrVersion = 8;

    /// <summary>The graph input's name.</summary>
    public const string InputName = "input";

    /// <summary>The graph output's name.</summary>
    public const string OutputName = "output";

    /// <summary>The symbolic first dimension of the input and output: any number of rows.</summary>
    public const string BatchDimension = "batch";

    private const int FloatType = 1;
    private const int Int64Type = 7;

    private readonly string _network;
    private readonly string _producerVersion;
    private readonly int[] _inputShape;
    private readonly int[] _outputShape;
    private readonly List<ProtoWriter> _nodes = new();
    private readonly List<ProtoWriter> _initializers = new();
    private readonly HashSet<string> _initializerNames = new(StringComparer.Ordinal);
    private readonly HashSet<string> _nodeNames = new(StringComparer.Ordinal);

    /// <param name="network">The network's class name (the graph's name).</param>
    /// <param name="producerVersion">The NetGen version that generated the network.</param>
    /// <param name="inputShape">The input shape per sample.</param>
    /// <param name="outputShape">The output shape per sample.</param>
    public OnnxGraphBuilder(string network, string producerVersion, int[] inputShape, int[] outputShape)
    {
        _network = network;
        _producerVersion = producerVersion;
        _inputShape = inputShape;
        _outputShape = outputShape;
    }

    /// <summary>Adds a float32 initializer (a weight, or a constant the mapping needs) once: a second call with the same
    /// name is ignored. <paramref name="values"/> must hold the product of <paramref name="dims"/> values.</summary>
    public void Initializer(string name, long[] dims, ReadOnlySpan<float> values)
    {
        CheckLength(name, dims, values.Length);
        if (!_initializerNames.Add(name))
        {
            return;
        }

        var tensor = new ProtoWriter();
        foreach (long d in dims)
        {
            tensor.Int(1, d); // TensorProto.dims
        }

        tensor.Int(2, FloatType); // TensorProto.data_type
        tensor.String(8, name); // TensorProto.name
        tensor.RawFloats(9, values); // TensorProto.raw_data
        _initializers.Add(tensor);
    }

    /// <summary>Adds a float32 initializer whose values are all <paramref name="value"/> (a constant a mapping needs).</summary>
    public void Constant(string name, long[] dims, float value)
    {
        long count = 1;
        foreach (long d in dims)
        {
            count *= d;
        }

        float[] values = new float[count];
        Array.Fill(values, value);
        Initializer(name, dims, values);
    }

    /// <summary>Adds an int64 initializer (a shape for Reshape) once.</summary>
    public void Int64Initializer(string name, long[] dims, ReadOnlySpan<long> values)
    {
        CheckLength(name, dims, values.Length);
        if (!_initializerNames.Add(name))
        {
            return;
        }

        var tensor = new ProtoWriter();
        foreach (long d in dims)
        {
            tensor.Int(1, d);
        }

        tensor.Int(2, Int64Type);
        tensor.String(8, name);
        tensor.RawInt64s(9, values);
        _initializers.Add(tensor);
    }

    /// <summary>Adds a node of the default domain. An empty input name is an omitted optional input.</summary>
    public void Node(string opType, string name, string[] inputs, string output, params OnnxAttribute[] attributes)
    {
        if (!_nodeNames.Add(name))
        {
            throw new InvalidOperationException($"ONNX export of network '{_network}': two nodes are named '{name}'.");
        }

        var node = new ProtoWriter();
        foreach (string input in inputs)
        {
            node.String(1, input); // NodeProto.input
        }

        node.String(2, output); // NodeProto.output
        node.String(3, name); // NodeProto.name
        node.String(4, opType); // NodeProto.op_type
        foreach (OnnxAttribute attribute in attributes)
        {
            node.Message(5, attribute.ToProto()); // NodeProto.attribute
        }

        _nodes.Add(node);
    }

    /// <summary>Writes the model: ModelProto { ir_version, producer, graph, opset_import }.</summary>
    public void WriteTo(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var graph = new ProtoWriter();
        foreach (ProtoWriter node in _nodes)
        {
            graph.Message(1, node); // GraphProto.node
        }

        graph.String(2, _network); // GraphProto.name
        foreach (ProtoWriter tensor in _initializers)
        {
            graph.Message(5, tensor); // GraphProto.initializer
        }

        graph.String(10, $"Inference graph of NetGen network '{_network}' (evaluation mode): input '{InputName}' [{BatchDimension}, {string.Join(", ", _inputShape)}] float32, output '{OutputName}' [{BatchDimension}, {string.Join(", ", _outputShape)}] float32; initializers named by their state_dict keys.");
        graph.Message(11, ValueInfo(InputName, _inputShape)); // GraphProto.input
        graph.Message(12, ValueInfo(OutputName, _outputShape)); // GraphProto.output

        var opset = new ProtoWriter();
        opset.String(1, string.Empty); // OperatorSetIdProto.domain: the default domain
        opset.Int(2, Opset); // OperatorSetIdProto.version

        var model = new ProtoWriter();
        model.Int(1, IrVersion); // ModelProto.ir_version
        model.String(2, "NetGen"); // ModelProto.producer_name
        model.String(3, _producerVersion); // ModelProto.producer_version
        model.Message(7, graph); // ModelProto.graph
        model.Message(8, opset); // ModelProto.opset_import
        model.CopyTo(stream);
        stream.Flush();
    }

    /// <summary>ValueInfoProto { name, type: TypeProto { tensor_type { elem_type: FLOAT, shape: [batch, …] } } }.</summary>
    private static ProtoWriter ValueInfo(string name, int[] shape)
    {
        var tensorShape = new ProtoWriter();
        var batch = new ProtoWriter();
        batch.String(2, BatchDimension); // Dimension.dim_param
        tensorShape.Message(1, batch); // TensorShapeProto.dim
        foreach (int d in shape)
        {
            var dim = new ProtoWriter();
            dim.Int(1, d); // Dimension.dim_value
            tensorShape.Message(1, dim);
        }

        var tensorType = new ProtoWriter();
        tensorType.Int(1, FloatType); // TypeProto.Tensor.elem_type
        tensorType.Message(2, tensorShape); // TypeProto.Tensor.shape
        var type = new ProtoWriter();
        type.Message(1, tensorType); // TypeProto.tensor_type
        var info = new ProtoWriter();
        info.String(1, name); // ValueInfoProto.name
        info.Message(2, type); // ValueInfoProto.type
        return info;
    }

    private void CheckLength(string name, long[] dims, int length)
    {
        long count = 1;
        foreach (long d in dims)
        {
            count *= d;
        }

        if (count != length)
        {
            throw new ArgumentException($"ONNX export of network '{_network}': initializer '{name}' has {length} values for shape [{string.Join(", ", dims)}] ({count}).", nameof(dims));
        }
    }
}

/// <summary>A node attribute of the few types the mappings use: int, float, ints.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public readonly struct OnnxAttribute
{
    private const int FloatType = 1, IntType = 2, IntsType = 7;

    private readonly string _name;
    private readonly int _type;
    private readonly long _int;
    private readonly float _float;
    private readonly long[]? _ints;

    private OnnxAttribute(string name, int type, long i, float f, long[]? ints)
    {
        _name = name;
        _type = type;
        _int = i;
        _float = f;
        _ints = ints;
    }

    /// <summary>An INT attribute.</summary>
    public static OnnxAttribute Int(string name, long value) => new(name, IntType, value, 0, null);

    /// <summary>A FLOAT attribute.</summary>
    public static OnnxAttribute Float(string name, float value) => new(name, FloatType, 0, value, null);

    /// <summary>An INTS attribute.</summary>
    public static OnnxAttribute Ints(string name, params long[] values) => new(name, IntsType, 0, 0, values);

    /// <summary>AttributeProto { name (1), f (2), i (3), ints (8), type (20) }.</summary>
    internal ProtoWriter ToProto()
    {
        var a = new ProtoWriter();
        a.String(1, _name);
        switch (_type)
        {
            case FloatType:
                a.Float(2, _float);
                break;
            case IntType:
                a.Int(3, _int);
                break;
            default:
                foreach (long v in _ints!)
                {
                    a.Int(8, v); // unpacked repeated int64, which every protobuf parser accepts
                }

                break;
        }

        a.Int(20, _type);
        return a;
    }
}
