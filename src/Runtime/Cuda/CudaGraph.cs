using System;

namespace NetGen.Cuda;

/// <summary>
/// A CUDA graph: the launches recorded on a stream by <see cref="Capture"/> (stream capture), instantiated once
/// (<c>cuGraphInstantiateWithFlags</c>) and replayed by <see cref="Launch"/> as one <c>cuGraphLaunch</c>, so a whole training
/// step costs one launch of the host. The executable graph is destroyed when this is disposed.
/// </summary>
/// <remarks>
/// A graph replays the recorded launches with the recorded arguments: the same buffers (device addresses) and the same
/// scalars. Whatever changes per step (a learning rate, Adam's step count, a dropout key) must live in device memory,
/// or the graph must be captured again. Capture runs in <c>CU_STREAM_CAPTURE_MODE_THREAD_LOCAL</c>: during it the
/// capturing thread may only enqueue work on the stream (kernel launches); allocations, synchronous copies and
/// synchronization fail with CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED and end the capture with the exception.
/// </remarks>
public sealed class CudaGraph : CudaResource
{
    private CudaGraph(PrimaryContext context, nint graph)
        : base(context)
    {
        ThrowIfCreateFailed(CudaDriver.cuGraphInstantiateWithFlags(out nint exec, graph, 0), "cuGraphInstantiateWithFlags");
        SetHandle(exec);
    }

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
        nint graph;
        try
        {
            record();
        }
        catch
        {
            // Leave capture mode; the partial graph is discarded (the driver may have invalidated it already).
            if (CudaDriver.cuStreamEndCapture(s, out graph) == 0 && graph != 0)
            {
                CudaDriver.cuGraphDestroy(graph);
            }
            throw;
        }
        CudaDriver.ThrowIfFailed(CudaDriver.cuStreamEndCapture(s, out graph), "cuStreamEndCapture");
        try
        {
            return new CudaGraph(context, graph);
        }
        finally
        {
            // The executable graph does not need its graph: destroy it now.
            CudaDriver.cuGraphDestroy(graph);
        }
    }

    /// <summary>Replays the graph on <paramref name="stream"/> (null = the default stream), asynchronously.</summary>
    /// <param name="stream">The stream.</param>
    public void Launch(CudaStream? stream)
    {
        CudaDriver.ThrowIfFailed(CudaDriver.cuCtxSetCurrent(Context.DangerousGetHandle()), "cuCtxSetCurrent");
        CudaDriver.ThrowIfFailed(CudaDriver.cuGraphLaunch(handle, stream is null ? 0 : stream.DangerousGetHandle()), "cuGraphLaunch");
    }

    private protected override int Free() => CudaDriver.cuGraphExecDestroy(handle);
}
