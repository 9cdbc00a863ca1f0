using System;
using System.Collections.Generic;

namespace NetGen.Cuda;

/// <summary>
/// A CUDA graph: the launches recorded on a stream by <see cref="Capture"/> (stream capture), instantiated once
/// (<c>cuGraphInstantiateWithFlags</c>) and replayed by <see cref="Launch"/> as one <c>cuGraphLaunch</c>, so a whole training
/// step costs one launch of the host. The executable graph (and the graph it came from) is destroyed when this is disposed.
/// </summary>
/// <remarks>
/// A graph replays the recorded launches with the recorded arguments: the same buffers (device addresses) and the same
/// scalars. <see cref="Replay"/> handles scalars that change per step (a learning rate, Adam's step count, a dropout key):
/// it runs the same recording code again without launching anything, compares each launch's arguments with the graph's
/// kernel node, and rewrites the nodes whose arguments differ (<c>cuGraphExecKernelNodeSetParams</c>) before the launch
/// (docs/adr/0045-device-arenas-dispose-and-cuda-graphs.md). Capture runs in <c>CU_STREAM_CAPTURE_MODE_THREAD_LOCAL</c>:
/// during it the capturing thread may only enqueue work on the stream (kernel launches, <see cref="CudaKernels.Clear{T}"/>);
/// allocations, synchronous copies and synchronization fail with CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED and end the capture
/// with the exception.
/// </remarks>
public sealed unsafe class CudaGraph : CudaResource
{
    [ThreadStatic]
    private static Recorder? t_recorder;

    private readonly nint _graph;
    private readonly List<Node> _nodes;
    private readonly nint[]? _handles; // the graph's nodes in launch order, or null when they could not be ordered
    private Recorder? _replay;

    private CudaGraph(PrimaryContext context, nint graph, List<Node> nodes)
        : base(context)
    {
        ThrowIfCreateFailed(CudaDriver.cuGraphInstantiateWithFlags(out nint exec, graph, 0), "cuGraphInstantiateWithFlags");
        SetHandle(exec);
        _graph = graph;
        _nodes = nodes;
        _handles = OrderedNodes(graph, nodes.Count);
    }

    /// <summary>Nodes (kernel launches and memsets) in the graph.</summary>
    public int NodeCount => _nodes.Count;

    /// <summary>Kernel nodes rewritten by <see cref="Replay"/> so far (their arguments had changed).</summary>
    public long NodeUpdates { get; private set; }

    /// <summary>Records what <paramref name="record"/> enqueues on <paramref name="stream"/> (launches are recorded, not
    /// run) and instantiates it.</summary>
    /// <param name="stream">The stream to capture; <paramref name="record"/> must launch on it (e.g.
    /// <see cref="CudaKernels.Stream"/> set to it).</param>
    /// <param name="record">Enqueues the work.</param>
    /// <returns>The executable graph.</returns>
    /// <exception cref="CudaException">A driver call failed, in <paramref name="record"/> too; the capture is ended either
    /// way.</exception>
    public static CudaGraph Capture(CudaStream stream, Action record)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(record);
        PrimaryContext context = stream.Context;
        CudaDriver.ThrowIfFailed(CudaDriver.cuCtxSetCurrent(context.DangerousGetHandle()), "cuCtxSetCurrent");
        nint s = stream.DangerousGetHandle();
        CudaDriver.ThrowIfFailed(CudaDriver.cuStreamBeginCapture_v2(s, CudaDriver.CaptureModeThreadLocal), "cuStreamBeginCapture(thread-local)");
        var recorder = new Recorder();
        Recorder? outer = t_recorder;
        t_recorder = recorder;
        nint graph;
        try
        {
            record();
        }
        catch
        {
            t_recorder = outer;
            // Leave capture mode; the partial graph is discarded (the driver may have invalidated it already).
            if (CudaDriver.cuStreamEndCapture(s, out graph) == 0 && graph != 0)
            {
                CudaDriver.cuGraphDestroy(graph);
            }
            throw;
        }
        t_recorder = outer;
        CudaDriver.ThrowIfFailed(CudaDriver.cuStreamEndCapture(s, out graph), "cuStreamEndCapture");
        try
        {
            return new CudaGraph(context, graph, recorder.Nodes);
        }
        catch
        {
            CudaDriver.cuGraphDestroy(graph);
            throw;
        }
    }

    /// <summary>Replays the graph on <paramref name="stream"/> (null = the default stream), asynchronously.</summary>
    /// <param name="stream">The stream.</param>
    public void Launch(CudaStream? stream)
    {
        CudaDriver.ThrowIfFailed(CudaDriver.cuCtxSetCurrent(Context.DangerousGetHandle()), "cuCtxSetCurrent");
        CudaDriver.ThrowIfFailed(CudaDriver.cuGraphLaunch(handle, stream is null ? 0 : stream.DangerousGetHandle()), "cuGraphLaunch");
    }

    /// <summary>Runs <paramref name="record"/> (the code that was captured) without launching anything, rewrites the kernel
    /// nodes whose arguments differ from the graph's, and launches the graph on <paramref name="stream"/>. Returns false,
    /// launching nothing, when the launches no longer match the graph (another kernel, grid or memset: capture again).</summary>
    /// <param name="stream">The stream.</param>
    /// <param name="record">The recording code, with this call's values.</param>
    /// <returns>Whether the graph was launched.</returns>
    public bool Replay(CudaStream? stream, Action record)
    {
        ArgumentNullException.ThrowIfNull(record);
        CudaDriver.ThrowIfFailed(CudaDriver.cuCtxSetCurrent(Context.DangerousGetHandle()), "cuCtxSetCurrent");
        Recorder replay = _replay ??= new Recorder(this);
        replay.Start();
        Recorder? outer = t_recorder;
        t_recorder = replay;
        try
        {
            record();
        }
        finally
        {
            t_recorder = outer;
        }

        if (replay.Mismatch || replay.Count != _nodes.Count)
        {
            return false;
        }

        for (int i = 0; i < _nodes.Count; i++)
        {
            if (replay.Changed[i])
            {
                // The new arguments become the node's; its old array takes the next replay's arguments.
                Node node = _nodes[i];
                (node.Args, replay.Pending[i]) = (replay.Pending[i], node.Args);
                _nodes[i] = node;
                SetKernelNode(_handles![i], node);
                NodeUpdates++;
            }
        }

        Launch(stream);
        return true;
    }

    /// <summary>A launch made while a graph captures or replays on this thread: recorded (and, while capturing, enqueued on
    /// the capturing stream by the caller); while replaying, compared with the graph's node at its place, not enqueued.</summary>
    /// <returns>True when the caller must not launch (a replay only compares).</returns>
    internal static bool Intercept(nint function, (uint X, uint Y) grid, (uint X, uint Y) block, ReadOnlySpan<KernelArg> args)
    {
        if (t_recorder is not Recorder r)
        {
            return false;
        }
        if (r.Graph is CudaGraph g)
        {
            r.Compare(g, function, grid, block, args, 0, 0);
            return true;
        }
        var bits = new ulong[args.Length];
        for (int i = 0; i < args.Length; i++)
        {
            bits[i] = args[i].Bits;
        }
        r.Nodes.Add(new Node(function, grid, block, bits));
        return false;
    }

    /// <summary>A memset node (function 0; arguments address and bytes), as <see cref="Intercept"/>.</summary>
    internal static bool InterceptMemset(ulong pointer, ulong bytes)
    {
        if (t_recorder is not Recorder r)
        {
            return false;
        }
        if (r.Graph is CudaGraph g)
        {
            r.Compare(g, 0, (0, 0), (0, 0), [], pointer, bytes);
            return true;
        }
        r.Nodes.Add(new Node(0, (0, 0), (0, 0), [pointer, bytes]));
        return false;
    }

    private void SetKernelNode(nint node, Node launch)
    {
        ulong[] slots = launch.Args;
        void** pointers = stackalloc void*[Math.Max(1, slots.Length)];
        fixed (ulong* s = slots)
        {
            for (int i = 0; i < slots.Length; i++)
            {
                pointers[i] = s + i;
            }
            var p = new CudaDriver.KernelNodeParams
            {
                Function = launch.Function,
                GridX = launch.Grid.X, GridY = launch.Grid.Y, GridZ = 1,
                BlockX = launch.Block.X, BlockY = launch.Block.Y, BlockZ = 1,
                KernelParams = pointers,
            };
            CudaDriver.ThrowIfFailed(CudaDriver.cuGraphExecKernelNodeSetParams(handle, node, &p), "cuGraphExecKernelNodeSetParams");
        }
    }

    /// <summary>The nodes of a stream-captured graph in launch order: one root, each node with one dependent (a single
    /// stream's capture is a chain). Null when the graph is not such a chain of <paramref name="count"/> nodes.</summary>
    private static nint[]? OrderedNodes(nint graph, int count)
    {
        var nodes = new nint[count];
        if (count == 0)
        {
            return nodes;
        }
        nint one;
        if (!Single(&CudaDriver.cuGraphGetRootNodes, graph, &one))
        {
            return null;
        }
        nodes[0] = one;
        for (int i = 1; i < count; i++)
        {
            if (!Single(&CudaDriver.cuGraphNodeGetDependentNodes, nodes[i - 1], &one))
            {
                return null;
            }
            nodes[i] = one;
        }
        nuint last = 0;
        return CudaDriver.cuGraphNodeGetDependentNodes(nodes[count - 1], null, &last) == 0 && last == 0 ? nodes : null;
    }

    /// <summary>Asks <paramref name="query"/> how many nodes there are (null array), then, when exactly one, for it.</summary>
    private static bool Single(delegate*<nint, nint*, nuint*, int> query, nint of, nint* node)
    {
        nuint n = 0;
        if (query(of, null, &n) != 0 || n != 1)
        {
            return false;
        }
        return query(of, node, &n) == 0 && n == 1 && *node != 0;
    }

    private protected override int Free()
    {
        int result = CudaDriver.cuGraphExecDestroy(handle);
        int graph = CudaDriver.cuGraphDestroy(_graph);
        return result != 0 ? result : graph;
    }

    /// <summary>What a capture records (<see cref="Nodes"/>), or, for a replay of <see cref="Graph"/>, how this call's
    /// launches compare with its nodes: the arguments of each node that differ (<see cref="Pending"/>, preallocated: a
    /// replay allocates nothing), or a mismatch (another kernel, grid, block or memset: capture again).</summary>
    private sealed class Recorder
    {
        public Recorder()
        {
        }

        public Recorder(CudaGraph graph)
        {
            Graph = graph;
            Pending = new ulong[graph._nodes.Count][];
            Changed = new bool[graph._nodes.Count];
            for (int i = 0; i < Pending.Length; i++)
            {
                Pending[i] = new ulong[graph._nodes[i].Args.Length];
            }
        }

        public CudaGraph? Graph { get; }

        public List<Node> Nodes { get; } = [];

        public ulong[][] Pending { get; } = [];

        public bool[] Changed { get; } = [];

        public int Count { get; private set; }

        public bool Mismatch { get; private set; }

        public void Start()
        {
            Count = 0;
            Mismatch = false;
            Array.Clear(Changed);
        }

        /// <summary>This call's launch number <see cref="Count"/> against the graph's node there (a memset: function 0,
        /// its address and size in <paramref name="pointer"/> and <paramref name="bytes"/>).</summary>
        public void Compare(CudaGraph g, nint function, (uint X, uint Y) grid, (uint X, uint Y) block, ReadOnlySpan<KernelArg> args, ulong pointer, ulong bytes)
        {
            int i = Count++;
            if (Mismatch || i >= g._nodes.Count)
            {
                Mismatch = true;
                return;
            }
            Node node = g._nodes[i];
            if (node.Function != function || node.Grid != grid || node.Block != block)
            {
                Mismatch = true;
                return;
            }
            if (function == 0)
            {
                Mismatch |= node.Args[0] != pointer || node.Args[1] != bytes; // a memset node is never rewritten
                return;
            }
            if (node.Args.Length != args.Length)
            {
                Mismatch = true;
                return;
            }
            bool changed = false;
            for (int k = 0; k < args.Length; k++)
            {
                changed |= node.Args[k] != args[k].Bits;
            }
            if (!changed)
            {
                return;
            }
            if (g._handles is null)
            {
                Mismatch = true; // nodes that cannot be addressed: capture again
                return;
            }
            ulong[] pending = Pending[i];
            for (int k = 0; k < args.Length; k++)
            {
                pending[k] = args[k].Bits;
            }
            Changed[i] = true;
        }
    }

    private record struct Node(nint Function, (uint X, uint Y) Grid, (uint X, uint Y) Block, ulong[] Args);
}
