using System;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NetGen.Kernels;

/// <summary>
/// The backward of a network's first convolution (no dx) followed by ReLU → MaxPool2D, as one kernel: the pool's gradient
/// is placed through the ReLU's mask sample by sample into the weight gradient's own staging rows, and dW, db are summed
/// from there at once, so the convolution's output gradient dy [B, O, Ho, Wo] is never written nor read again (ADR 0059).
/// </summary>
/// <remarks>
/// <para><b>Formula.</b> dy = 0 except dy[argmax] += (pooled &gt; 0 ? dPooled : 0) (the backward of ReLU then MaxPool2D,
/// <see cref="MaxPool2DReLU"/>); dW[O, C, Kh, Kw] = Σ_b Σ_{ho,wo} dy[b, o, ho, wo] · x[b, c, ho + i, wo + j];
/// db[o] = Σ_b Σ_{ho,wo} dy[b, o, ho, wo].</para>
/// <para><b>Bits.</b> The groups are those of <see cref="Conv2D.Backward{T}"/> (<see cref="Conv2D.Groups"/>, a function of
/// the batch and the geometry), each summed by the direct dW of ADR 0056 over its samples in order
/// (<see cref="Conv2DWeightGradient.RunPooled{T}"/>), the groups' partials added in group order: dW and db are the bits of
/// <see cref="MaxPool2DReLU.Backward{T}"/> followed by <see cref="Conv2D.Backward{T}"/>, on any thread count (a test
/// compares them at 1, 2 and 8 threads).</para>
/// <para><b>Where.</b> Fused where the direct dW on 512-bit registers serves the convolution (stride 1, no padding, not
/// 1×1, 3 ≤ C·Kh·Kw ≤ 128, O ≥ 8, Kw ≥ 3, AVX-512), with the ReLU's mask folded into the pool
/// (<see cref="MaxPool2DReLU.Fused"/>) and <see cref="Enabled"/>; anywhere else the two kernels run in turn through
/// the caller's dy, bit for bit today's pair. Any pool geometry: the 2×2 stride-2 windows of
/// <see cref="MaxPool2DBackward.IsPairs{T}"/> by selects, every other one by clear and scatter in output order.</para>
/// <para><b>Scratch.</b> One sample's staged rows (O wide rows of (Ho − 1)·W + Wo, 23.5 KB for 8×26×26) and its input
/// copy per thread, grown on first use (<see cref="Conv2D.Buffers{T}"/>): no allocation in steady state.</para>
/// </remarks>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public static class ConvPoolBackward
{
    /// <summary>Multiply-adds below which a call stays on one thread (as <see cref="Conv2D"/>).</summary>
    private const long MinParallelWork = 1L << 17;

    /// <summary>Tests and <c>NetGen.Bench --step-profile --fuse-ab</c>: <see langword="false"/> runs the two kernels of
    /// before in turn (the same bits). Per thread (read by the calling thread as a call starts), as
    /// <see cref="MaxPool2DReLU.Fused"/>: a test that switches it off must not change the kernels (and their scratch) of
    /// networks other tests train or measure at the same time.</summary>
    internal static bool Enabled
    {
        get => !t_disabled;
        set => t_disabled = !value;
    }

    [ThreadStatic]
    private static bool t_disabled;

    /// <summary>Whether the call runs fused (see the remarks); the geometries must already match.</summary>
    internal static bool Fuses<T>(in Conv2DGeometry g)
        where T : unmanaged, IBinaryFloatingPointIeee754<T> =>
        Enabled && MaxPool2DReLU.Fused && Conv2D.DirectWeightGradient<T>(g) && Conv2DWeightGradient.Serves<T>(g);

    /// <summary>dW[O,C,Kh,Kw] = Σ_b dy_b · im2col(x_b)ᵀ and db[O] = Σ_{b,ho,wo} dy (both overwritten), where dy = 0 except
    /// dy[argmax] += (pooled &gt; 0 ? dPooled : 0): the backward of Conv2D (no dx) → ReLU → MaxPool2D</summary>
    /// <param name="dPooled">Gradient of the pool's output, [batch, O, Ho', Wo'].</param>
    /// <param name="argmax">The pool's winner positions, [batch, O, Ho', Wo']; each in [0, Ho·Wo).</param>
    /// <param name="pooled">The pool's output, [batch, O, Ho', Wo'] (the ReLU's output at each argmax).</param>
    /// <param name="y">The ReLU's output, [batch, O, Ho, Wo]: read only where the two kernels run with the ReLU's mask
    /// unfused (<see cref="MaxPool2DReLU.Fused"/> off, a switch of the tests).</param>
    /// <param name="x">The convolution's input, [batch, C, H, W].</param>
    /// <param name="w">The convolution's weight, [O, C, Kh, Kw] (only its length is checked: no dx).</param>
    /// <param name="dy">The convolution's output gradient, [batch, O, Ho, Wo]: scratch of the unfused path (written there,
    /// left as it was where the call runs fused).</param>
    /// <param name="dw">Gradient of the weight, [O, C, Kh, Kw] (overwritten).</param>
    /// <param name="db">Gradient of the bias, [O] (overwritten); empty = no bias.</param>
    /// <param name="batch">B (0 = nothing to do).</param>
    /// <param name="g">The convolution's shape of one sample.</param>
    /// <param name="p">The pool's shape of one sample: its input is the convolution's output.</param>
    /// <exception cref="ArgumentOutOfRangeException">An argmax outside its plane: each group checks its samples' indices
    /// before it stages them, so the other groups' partials (and dW, db) may have been written; the parameters are not.</exception>
    public static unsafe void Backward<T>(ReadOnlySpan<T> dPooled, ReadOnlySpan<int> argmax, ReadOnlySpan<T> pooled, ReadOnlySpan<T> y, ReadOnlySpan<T> x, ReadOnlySpan<T> w, Span<T> dy, Span<T> dw, Span<T> db, int batch, in Conv2DGeometry g, in Pool2DGeometry p)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (g.OutChannels == 0 || p.Channels == 0)
        {
            throw new ArgumentException("The geometry is the default value; build it with its constructor.", g.OutChannels == 0 ? nameof(g) : nameof(p));
        }
        if (p.Channels != g.OutChannels || p.Height != g.OutHeight || p.Width != g.OutWidth)
        {
            throw new ArgumentException($"The pool's input is {p.Channels}×{p.Height}×{p.Width} but the convolution's output is {g.OutChannels}×{g.OutHeight}×{g.OutWidth}.", nameof(p));
        }
        if (!Fuses<T>(g))
        {
            MaxPool2DReLU.Backward(dPooled, argmax, pooled, y, dy, batch, p);
            Conv2D.Backward<T>(dy, x, w, default, dw, db, batch, g);
            return;
        }

        ThrowHelper.RequireNonNegative(batch, nameof(batch));
        ThrowHelper.RequireLength(dPooled.Length, (long)batch * p.OutputLength, nameof(dPooled));
        ThrowHelper.RequireLength(argmax.Length, (long)batch * p.OutputLength, nameof(argmax));
        ThrowHelper.RequireLength(pooled.Length, (long)batch * p.OutputLength, nameof(pooled));
        ThrowHelper.RequireLength(y.Length, (long)batch * g.OutputLength, nameof(y));
        ThrowHelper.RequireLength(x.Length, (long)batch * g.InputLength, nameof(x));
        ThrowHelper.RequireLength(w.Length, g.WeightLength, nameof(w));
        ThrowHelper.RequireLength(dy.Length, (long)batch * g.OutputLength, nameof(dy));
        ThrowHelper.RequireLength(dw.Length, g.WeightLength, nameof(dw));
        if (!db.IsEmpty)
        {
            ThrowHelper.RequireSameLength(db.Length, g.OutChannels, nameof(db));
        }
        if (batch == 0)
        {
            return;
        }

        int groups = Conv2D.Groups(batch, g);
        bool bias = !db.IsEmpty;
        T[] partials = Conv2D.Buffers<T>.Partials(((groups - 1) * (long)g.WeightLength) + (bias ? (long)groups * g.OutChannels : 0));
        int outside = 0;
        fixed (T* pdp = dPooled)
        fixed (int* pi = argmax)
        fixed (T* pp = pooled)
        fixed (T* px = x)
        fixed (T* pdw = dw)
        fixed (T* ppart = partials)
        {
            var a = new Arguments<T>
            {
                G = g, P = p, Batch = batch, Groups = groups, DPooled = pdp, Argmax = pi, Pooled = pp, X = px, Dw = pdw, Partials = ppart,
                DbPartials = bias ? ppart + ((nint)(groups - 1) * g.WeightLength) : null, Outside = &outside,
            };
            long work = (long)batch * g.WeightLength * g.OutPlane;
            if (groups > 1 && groups >= Workers.MaxParts && work >= MinParallelWork && Workers.TryAcquire(out Job<T> job))
            {
                job.A = a;
                Workers.RunAndRelease(job, groups);
            }
            else
            {
                for (int group = 0; group < groups; group++)
                {
                    Group(a, group);
                }
            }
        }
        if (outside != 0)
        {
            ThrowOutside(argmax.Slice(0, batch * p.OutputLength), (uint)(p.Height * p.Width));
        }

        // dW = partial of group 0 (written in place) + partial 1 + … in group order; db the same over the groups' sums
        // (as Conv2D.Backward adds them).
        Span<T> dW = dw.Slice(0, g.WeightLength);
        for (int group = 1; group < groups; group++)
        {
            TensorPrimitives.Add(dW, partials.AsSpan((group - 1) * g.WeightLength, g.WeightLength), dW);
        }
        if (bias)
        {
            ReadOnlySpan<T> dbPartials = partials.AsSpan((groups - 1) * g.WeightLength, groups * g.OutChannels);
            for (int o = 0; o < g.OutChannels; o++)
            {
                T sum = T.Zero;
                for (int group = 0; group < groups; group++)
                {
                    sum += dbPartials[(group * g.OutChannels) + o];
                }
                db[o] = sum;
            }
        }
    }

    /// <summary>Pinned operands of one call, handed to the groups.</summary>
    private unsafe struct Arguments<T>
        where T : unmanaged
    {
        public Conv2DGeometry G;
        public Pool2DGeometry P;
        public int Batch, Groups;
        public T* DPooled, Pooled, X, Dw, Partials, DbPartials;
        public int* Argmax;

        /// <summary>Set to 1 once a group finds an index outside its plane.</summary>
        public int* Outside;
    }

    /// <summary>A parallel run: part = group, as in <see cref="Conv2D.Backward{T}"/>.</summary>
    private sealed class Job<T> : ParallelJob
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        public Arguments<T> A;

        public override void Run(int part, int parts) => Group(A, part);
    }

    /// <summary>One group: its samples' indices checked, then its dW (and db) partial.</summary>
    private static unsafe void Group<T>(in Arguments<T> a, int group)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int start = (int)((long)a.Batch * group / a.Groups), end = (int)((long)a.Batch * (group + 1) / a.Groups);
        int length = a.P.OutputLength;
        var indices = new ReadOnlySpan<uint>(a.Argmax + ((nint)start * length), (end - start) * length);
        if (!indices.IsEmpty && TensorPrimitives.Max(indices) >= (uint)(a.P.Height * a.P.Width))
        {
            // The indices read as unsigned (a negative one is above any plane); this group writes nothing.
            System.Threading.Volatile.Write(ref *a.Outside, 1);
            return;
        }
        T* dwGroup = group == 0 ? a.Dw : a.Partials + ((nint)(group - 1) * a.G.WeightLength);
        T* dbGroup = a.DbPartials == null ? null : a.DbPartials + ((nint)group * a.G.OutChannels);
        Conv2DWeightGradient.RunPooled(a.X, a.DPooled, a.Argmax, a.Pooled, start, end, dwGroup, dbGroup, a.G, a.P);
    }

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

    /// <summary>One plane of the pool's input gradient through the ReLU's mask, dx = 0 except dx[argmax] += (pooled &gt; 0 ?
    /// dy : 0), written at row stride <paramref name="stride"/> (rows [0, H), columns [0, W); nothing else is touched):
    /// the arithmetic of <see cref="MaxPool2DReLU"/>'s planes, so the same bits. The indices must be inside the plane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static unsafe void PlaneInto<T>(T* dy, int* argmax, T* pooled, T* dx, int stride, in Pool2DGeometry p)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (MaxPool2DBackward.IsPairs<T>(p))
        {
            MaxPool2DBackward.PlanePairs((float*)dy, argmax, (float*)dx, p.Height, p.Width, p.OutHeight, p.OutWidth, (float*)pooled, stride);
            return;
        }
        int width = p.Width, outPlane = p.OutHeight * p.OutWidth;
        for (int r = 0; r < p.Height; r++)
        {
            new Span<T>(dx + ((nint)r * stride), width).Clear();
        }
        for (int o = 0; o < outPlane; o++)
        {
            if (pooled[o] > T.Zero)
            {
                int at = argmax[o];
                dx[((nint)(at / width) * stride) + (at % width)] += dy[o];
            }
        }
    }

    /// <summary>Whether <see cref="PairRows"/> serves the pool (the windows of <see cref="MaxPool2DBackward.IsPairs{T}"/>,
    /// float) into wide rows of <paramref name="stride"/> columns: AVX-512 (net10.0's masked loads), at most 16 windows a
    /// row (one register) and rows of at most 32 columns, so a row's two registers reach past its end (their +0 lanes
    /// clear the dropped columns).</summary>
    internal static bool ServesPairRows<T>(in Pool2DGeometry p, int stride)
        where T : unmanaged, IBinaryFloatingPointIeee754<T> =>
#if NET10_0_OR_GREATER
        Avx512F.IsSupported && MaxPool2DBackward.IsPairs<T>(p) && p.OutWidth <= 16 && stride <= 32 && stride >= p.Width;
#else
        false;
#endif

    /// <summary>The arithmetic of <see cref="MaxPool2DBackward.PlanePairs"/> (so the same values), a row of at most 16 windows in one register:
    /// rows 2·oh and 2·oh + 1 of dx (row stride <paramref name="stride"/> ≤ 32) each written as 32 columns from the row's
    /// start, the lanes past the pool's windows +0. What lies past a row's end is written again by the next row; past the
    /// last row it is +0 (at most 32 − w columns: the caller's scratch has room). The last row, in no window when h is odd,
    /// is cleared.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static unsafe void PairRows(float* dy, int* argmax, float* pooled, float* dx, int h, int w, int outHeight, int outWidth, int stride)
    {
#if NET10_0_OR_GREATER
        Vector512<int> columns = Vector512<int>.Indices * 2;
        Vector512<int> right = Vector512.Create(1), below = Vector512.Create(w), belowRight = Vector512.Create(w + 1);
        Vector512<int> low = Vector512.Create(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
        Vector512<int> high = low + Vector512.Create(8);
        Vector512<float> inside = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(outWidth)).AsSingle();
        for (int oh = 0; oh < outHeight; oh++)
        {
            float* r0 = dx + ((nint)2 * oh * stride);
            float* r1 = r0 + stride;
            nint o = (nint)oh * outWidth;
            Vector512<float> d = Avx512F.MaskLoad(dy + o, inside, Vector512<float>.Zero) + Vector512<float>.Zero;
            d = Vector512.ConditionalSelect(Vector512.GreaterThan(Avx512F.MaskLoad(pooled + o, inside, Vector512<float>.Zero), Vector512<float>.Zero), d, Vector512<float>.Zero);
            Vector512<int> at = Avx512F.MaskLoad(argmax + o, inside.AsInt32(), Vector512<int>.Zero) - (Vector512.Create(2 * oh * w) + columns);
            Vector512<float> a = Vector512.ConditionalSelect(Vector512.Equals(at, Vector512<int>.Zero).AsSingle(), d, Vector512<float>.Zero);
            Vector512<float> b = Vector512.ConditionalSelect(Vector512.Equals(at, right).AsSingle(), d, Vector512<float>.Zero);
            Vector512<float> c = Vector512.ConditionalSelect(Vector512.Equals(at, below).AsSingle(), d, Vector512<float>.Zero);
            Vector512<float> e = Vector512.ConditionalSelect(Vector512.Equals(at, belowRight).AsSingle(), d, Vector512<float>.Zero);
            // [a0 b0 a1 b1 … a7 b7] and [a8 b8 … a15 b15]: columns 0–15 and 16–31 of each row.
            Avx512F.PermuteVar16x32x2(a, low, b).Store(r0);
            Avx512F.PermuteVar16x32x2(a, high, b).Store(r0 + 16);
            Avx512F.PermuteVar16x32x2(c, low, e).Store(r1);
            Avx512F.PermuteVar16x32x2(c, high, e).Store(r1 + 16);
        }
        if (h > 2 * outHeight)
        {
            new Span<float>(dx + ((nint)2 * outHeight * stride), w).Clear();
        }
#else
        throw new PlatformNotSupportedException();
#endif
    }
}
