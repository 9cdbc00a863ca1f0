using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Threading;

namespace NetGen.Kernels;

/// <summary>
/// The backward of ReLU → <see cref="MaxPool2D"/> in one pass: the pool's backward with the ReLU's mask applied as each
/// gradient is placed, so the ReLU's own pass over its [B, C, H, W] gradient (read dy and y, write dx) disappears
/// (ADR 0052).
/// </summary>
/// <remarks>
/// <para><b>Formula.</b> The pool's output is the ReLU's output at the argmax: pooled[o] = y[argmax[o]]. So the ReLU's
/// mask 1(y &gt; 0) at every position a gradient reaches is 1(pooled &gt; 0) of the windows that chose it, and
/// dx = 0 except dx[argmax[o]] += (pooled[o] &gt; 0 ? dy[o] : 0). Elsewhere the pool's gradient is 0 and the mask keeps
/// it 0. Every window that chose a position has the same pooled value there, so a position either takes all its
/// windows' gradients or none: the result is the bits of the two kernels in turn (<c>0 + dy</c> summed in output order,
/// then masked; a NaN pooled value, whose ReLU output is NaN, masks as the ReLU does: NaN &gt; 0 is false).</para>
/// <para><b>Kernels.</b> The 2×2, stride-2, unpadded windows of <see cref="MaxPool2DBackward.PlanePairs"/> (float, AVX)
/// write every element once with the mask folded into the select; every other geometry clears the plane and scatters
/// the masked gradients, as <see cref="MaxPool2D.Backward"/> does. Planes are split over the cores as there.</para>
/// <para><b>Why y is passed.</b> The ReLU's output is read only when <see cref="Fused"/> is off (tests and the
/// paired A/B of <c>NetGen.Bench --train-ab</c>): the call then runs the pool's backward and the ReLU's backward of
/// before, in that order.</para>
/// </remarks>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public static class MaxPool2DReLU
{
    /// <summary>Window elements below which a call stays on one thread (as <see cref="MaxPool2D"/>).</summary>
    private const long MinParallelWork = 1L << 16;

    /// <summary>Tests and the paired A/B only: <see langword="false"/> runs the two kernels of before (pool backward, then
    /// the ReLU's backward in place, which reads the ReLU's output y). Per thread (read by the calling thread as a call
    /// starts): a test that switches it off must not change the kernels of networks other tests train at the same time,
    /// whose forward did not store y (ADR 0058).</summary>
    internal static bool Fused
    {
        get => !t_unfused;
        set => t_unfused = !value;
    }

    [ThreadStatic]
    private static bool t_unfused;

    /// <summary>Tests and the paired A/B only: <see langword="false"/> checks the argmax in two passes (minimum, then
    /// maximum), as before ADR 0057, instead of one (the indices read as unsigned, their maximum against the plane).</summary>
    internal static bool OnePassCheck = true;

    /// <summary>Off by default (ADR 0057): on a split call, each part checks its own planes' indices (and helps with those
    /// of parts not yet begun), and no part writes before every part's are checked, instead of one pass on the calling
    /// thread before the parts start. Measured 0.70–0.76× the caller's check on the loaded 2-vCPU VM (every part waits for
    /// the slowest check), so kept only for a measurement on a quiet machine (<c>NetGen.Bench --convdx-ab</c> with
    /// <c>NETGEN_CHECK_IN_PARTS=1</c>).</summary>
    internal static bool CheckInParts;

    /// <summary>On by default (ADR 0058): on a split call (with <see cref="CheckInParts"/> off) each part checks its own
    /// planes' indices just before it writes those planes, and writes nothing if one is outside: no write ever leaves its
    /// plane, but when a part refuses, the other parts may have written theirs (dx is the backward's scratch: a refused
    /// training step changes no parameter). The one-pass check on the calling thread read every index, half of them
    /// written by the other core, and made that core's next forward write over lines this one had read: about 5 % of the
    /// bench CNN's training step on a host whose two vCPUs share no cache. Off: the caller's one-pass check first.</summary>
    internal static bool CheckOwnPart = true;

    /// <summary>dx[B,C,H,W] = 0 except dx[argmax] += (pooled &gt; 0 ? dy : 0): the backward of ReLU then MaxPool2D</summary>
    /// <param name="dy">Gradient of the pool's output, [batch, C, Ho, Wo].</param>
    /// <param name="argmax">Winner positions written by the pool's forward, [batch, C, Ho, Wo]; each in [0, H·W).</param>
    /// <param name="pooled">The pool's output, [batch, C, Ho, Wo] (the ReLU's output at each argmax).</param>
    /// <param name="y">The ReLU's output (the pool's input), [batch, C, H, W]; read only when the fusion is off.</param>
    /// <param name="dx">Gradient of the ReLU's input, [batch, C, H, W] (overwritten).</param>
    /// <param name="batch">B (0 = nothing to do).</param>
    /// <param name="g">The pool's shape of one sample.</param>
    /// <exception cref="ArgumentOutOfRangeException">An argmax outside its plane: checked before any write through it; on
    /// a call split over threads each part checks its own planes before it writes them, so other parts' planes of dx may
    /// have been written (<see cref="CheckOwnPart"/>), on one thread dx is untouched.</exception>
    public static unsafe void Backward<T>(ReadOnlySpan<T> dy, ReadOnlySpan<int> argmax, ReadOnlySpan<T> pooled, ReadOnlySpan<T> y, Span<T> dx, int batch, in Pool2DGeometry g)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (g.Channels == 0)
        {
            throw new ArgumentException("The geometry is the default value; build it with its constructor.", nameof(g));
        }
        ThrowHelper.RequireNonNegative(batch, nameof(batch));
        ThrowHelper.RequireLength(dy.Length, (long)batch * g.OutputLength, nameof(dy));
        ThrowHelper.RequireLength(argmax.Length, (long)batch * g.OutputLength, nameof(argmax));
        ThrowHelper.RequireLength(pooled.Length, (long)batch * g.OutputLength, nameof(pooled));
        ThrowHelper.RequireLength(y.Length, (long)batch * g.InputLength, nameof(y));
        ThrowHelper.RequireLength(dx.Length, (long)batch * g.InputLength, nameof(dx));
        if (batch == 0)
        {
            return;
        }
        if (!Fused)
        {
            MaxPool2D.Backward(dy, argmax, dx, batch, g);
            Span<T> d = dx.Slice(0, batch * g.InputLength);
            Activations.ReLUBackward<T>(d, y.Slice(0, d.Length), d);
            return;
        }

        // The scatter writes through pointers: an index from anywhere but the forward must not reach outside its plane.
        uint plane = (uint)(g.Height * g.Width);
        ReadOnlySpan<int> indices = argmax.Slice(0, batch * g.OutputLength);
        fixed (T* pdy = dy)
        fixed (int* pi = argmax)
        fixed (T* pp = pooled)
        fixed (T* pdx = dx)
        {
            var a = new Arguments<T> { G = g, Planes = batch * g.Channels, Dy = pdy, Argmax = pi, Pooled = pp, Dx = pdx };
            long work = (long)a.Planes * ((g.OutHeight * g.OutWidth) + (g.Height * g.Width));
            int parts = work >= MinParallelWork ? Workers.PartsFor(work, MinParallelWork / 2, a.Planes) : 1;
            if (parts > 1 && (CheckInParts || CheckOwnPart) && Workers.TryAcquire(out Job<T> job))
            {
                // Each part checks the indices of its own planes (the ones its core wrote in the forward) before it writes
                // them (CheckOwnPart, ADR 0058); with CheckInParts it then checks those of any part no thread has begun to
                // check and waits until every part's are checked, so no part writes before all are (ADR 0057, off by
                // default). The verdicts live on this call's stack (the job object is shared with other callers once
                // released).
                int outside = 0;
                int* states = stackalloc int[CheckInParts ? parts : 0];
                new Span<int>(states, CheckInParts ? parts : 0).Clear();
                job.A = a;
                job.A.Outside = &outside;
                job.A.States = CheckInParts ? states : null;
                Workers.RunAndRelease(job, parts);
                if (outside != 0)
                {
                    ThrowOutside(indices, plane);
                }
                return;
            }
            bool inside = OnePassCheck
                ? Inside(indices, plane)
                : System.Numerics.Tensors.TensorPrimitives.Min(indices) >= 0 && System.Numerics.Tensors.TensorPrimitives.Max(indices) < plane;
            if (!inside)
            {
                ThrowOutside(indices, plane);
            }
            if (parts > 1 && Workers.TryAcquire(out Job<T> whole))
            {
                whole.A = a;
                Workers.RunAndRelease(whole, parts);
                return;
            }
            Planes(a, 0, a.Planes);
        }
    }

    /// <summary>Whether every index lies in [0, plane): one pass, the indices read as unsigned (a negative one is then
    /// above any plane).</summary>
    private static bool Inside(ReadOnlySpan<int> indices, uint plane) =>
        indices.IsEmpty || System.Numerics.Tensors.TensorPrimitives.Max(System.Runtime.InteropServices.MemoryMarshal.Cast<int, uint>(indices)) < plane;

    /// <summary>Names the first index outside [0, plane).</summary>
    private static void ThrowOutside(ReadOnlySpan<int> indices, uint plane)
    {
        for (int i = 0; i < indices.Length; i++)
        {
            if ((uint)indices[i] >= plane)
            {
                throw new ArgumentOutOfRangeException("argmax", indices[i], $"argmax[{i}] is {indices[i]}, outside the input plane [0, {plane}).");
            }
        }
    }

    /// <summary>Pinned operands of one call, handed to the parts.</summary>
    private unsafe struct Arguments<T>
        where T : unmanaged
    {
        public Pool2DGeometry G;
        public int Planes;
        public T* Dy, Pooled, Dx;
        public int* Argmax;

        /// <summary>Set on a split call with the check in its parts (<see cref="CheckInParts"/> or <see cref="CheckOwnPart"/>):
        /// 1 once a part's indices are found outside its plane.</summary>
        public int* Outside;

        /// <summary>Per part: 0 its indices unchecked, 1 being checked, 2 checked (with <see cref="CheckInParts"/>; null with
        /// <see cref="CheckOwnPart"/>).</summary>
        public int* States;
    }

    /// <summary>A parallel run: each part takes whole (sample, channel) planes.</summary>
    private sealed class Job<T> : ParallelJob
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        public Arguments<T> A;

        public override unsafe void Run(int part, int parts)
        {
            if (A.States != null)
            {
                // Its own part's indices first, then every part still unclaimed (a thread that starts late finds them
                // done), then wait for the parts other threads are checking.
                for (int d = 0; d < parts; d++)
                {
                    int q = (part + d) % parts;
                    if (Volatile.Read(ref A.States[q]) == 0 && Interlocked.CompareExchange(ref A.States[q], 1, 0) == 0)
                    {
                        if (!Inside(PartIndices(q, parts), (uint)(A.G.Height * A.G.Width)))
                        {
                            Volatile.Write(ref *A.Outside, 1);
                        }
                        Volatile.Write(ref A.States[q], 2);
                    }
                }
                for (int q = 0; q < parts; q++)
                {
                    while (Volatile.Read(ref A.States[q]) != 2)
                    {
                        Thread.SpinWait(4);
                    }
                }
                if (Volatile.Read(ref *A.Outside) != 0)
                {
                    return;
                }
            }
            else if (A.Outside != null && !Inside(PartIndices(part, parts), (uint)(A.G.Height * A.G.Width)))
            {
                // CheckOwnPart: this part's planes are refused, and none of them is written.
                Volatile.Write(ref *A.Outside, 1);
                return;
            }
            (int start, int end) = Range(part, parts);
            Planes(A, start, end);
        }

        private (int Start, int End) Range(int part, int parts) =>
            ((int)((long)A.Planes * part / parts), (int)((long)A.Planes * (part + 1) / parts));

        private unsafe ReadOnlySpan<int> PartIndices(int part, int parts)
        {
            (int start, int end) = Range(part, parts);
            int outPlane = A.G.OutHeight * A.G.OutWidth;
            return new ReadOnlySpan<int>(A.Argmax + ((nint)start * outPlane), (end - start) * outPlane);
        }
    }

    private static unsafe void Planes<T>(in Arguments<T> a, int start, int end)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ref readonly Pool2DGeometry g = ref a.G;
        nint inPlane = g.Height * g.Width, outPlane = g.OutHeight * g.OutWidth;
        bool pairs = MaxPool2DBackward.IsPairs<T>(g);
        for (int p = start; p < end; p++)
        {
            if (pairs)
            {
                MaxPool2DBackward.PlanePairs((float*)(a.Dy + (p * outPlane)), a.Argmax + (p * outPlane), (float*)(a.Dx + (p * inPlane)), g.Height, g.Width, g.OutHeight, g.OutWidth, (float*)(a.Pooled + (p * outPlane)));
            }
            else
            {
                Plane(a.Dy + (p * outPlane), a.Argmax + (p * outPlane), a.Pooled + (p * outPlane), a.Dx + (p * inPlane), g);
            }
        }
    }

    /// <summary>One plane, any geometry: clear, then dx[argmax] += dy where the window's maximum is positive, in output order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Plane<T>(T* dy, int* argmax, T* pooled, T* dx, in Pool2DGeometry g)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int outPlane = g.OutHeight * g.OutWidth;
        new Span<T>(dx, g.Height * g.Width).Clear();
        for (int o = 0; o < outPlane; o++)
        {
            if (pooled[o] > T.Zero)
            {
                dx[argmax[o]] += dy[o];
            }
        }
    }
}
