using System;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace NetGen.Kernels;

/// <summary>Which kernel a one-row product <c>y[O] = W[O,I]·x[I]</c> uses (a Dense layer at batch 1). The generator picks
/// one per layer at compile time (<see cref="Gemv.Choose"/>); both give the same bits.</summary>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public enum GemvMode
{
    /// <summary>Pick by <see cref="Gemv.Choose"/> from the shape.</summary>
    Auto = 0,

    /// <summary>On the calling thread.</summary>
    Serial = 1,

    /// <summary>Split by blocks of output rows over every core; the same bits as <see cref="Serial"/>.</summary>
    Parallel = 2,
}

/// <summary>
/// The matrix-vector product of a Dense layer at batch 1 (one-sample inference): <c>y[O] = W[O,I]·x[I] + b</c>, then
/// max(0, ·) when asked, reading <c>W</c> as stored (nn.Linear's [outputs, inputs], every output's weights contiguous).
/// </summary>
/// <remarks>
/// <para>Every weight is read once and used once, so the product is bound by how fast the weights stream in, and nothing
/// is gained by packing them. The kernel keeps <see cref="RowBlock"/> = 8 dot products in 8 register accumulators
/// along the depth: one load of <c>x</c> serves 8 rows, and 8 independent FMA chains cover the FMA latency × ports of
/// current x64 cores (the batch kernel's direct path, which ran one-row calls before, keeps 4 chains and leaves half the
/// FMA slots idle). Each output is computed with the operations, in the order, of that direct path: the bias, plus one FMA
/// chain over the register-wide part of the depth (lanes reduced as <c>ISimd.StoreSums</c> does), plus the scalar tail.
/// A one-row call therefore has the bits it had before, and the split never changes them.</para>
/// <para><see cref="GemvMode.Parallel"/> cuts the rows into contiguous ranges of whole 8-row blocks, one per core (the
/// caller runs the first), on <see cref="Workers"/>: each core then reads only its share of <c>W</c>, which stays in
/// that core's L2 cache from call to call (the benchmark MLP's 0.8 MB first layer does not fit one core's L2 of 512 KiB
/// on Zen 3, but its halves do). See docs/adr/0034-batch-1-gemv-split-over-the-cores.md.</para>
/// </remarks>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public static partial class Gemv
{
    /// <summary>Output rows computed together, one accumulator each.</summary>
    internal const int RowBlock = 8;

    /// <summary>Multiply-adds from which a one-row product is split over the cores (see <see cref="Choose"/>).</summary>
    public const long ParallelThreshold = 1L << 16;

    /// <summary>Weights from which a layer with pre-packed weights reads its one-row products from row panels
    /// (<see cref="UsesRowPanels"/>): 2¹³ elements, the size of an L1 data cache in float32. Below it W stays in L1 from
    /// call to call, one stream or eight read alike, and the panels measured slower (ADR 0054).</summary>
    public const long RowPanelThreshold = 1L << 13;

    /// <summary>Whether a layer of <paramref name="outputs"/> × <paramref name="inputs"/> that has pre-packed weights reads
    /// its one-row products from row panels (from <see cref="RowPanelThreshold"/> weights; the same rule runs at compile
    /// time, <c>CpuLowering.UsesRowPanels</c>, and a test keeps the two equal).</summary>
    public static bool UsesRowPanels(int outputs, int inputs) => (long)outputs * inputs >= RowPanelThreshold;

    /// <summary>The kernel the generator plans for a one-row product of <paramref name="outputs"/> × <paramref name="inputs"/>
    /// (the same rule runs at compile time, <c>CpuLowering.ChooseGemv</c>; a test keeps the two equal):
    /// <see cref="GemvMode.Parallel"/> from <see cref="ParallelThreshold"/> multiply-adds and at least two row blocks,
    /// else <see cref="GemvMode.Serial"/>.</summary>
    /// <remarks>A hand-off to the spinning worker and the wait for its half cost about a microsecond on the 2-core VM;
    /// 2¹⁶ multiply-adds take about as long on one core.</remarks>
    public static GemvMode Choose(int outputs, int inputs) =>
        (long)outputs * inputs >= ParallelThreshold && outputs >= 2 * RowBlock ? GemvMode.Parallel : GemvMode.Serial;

    /// <summary>y[O] = W[O,I]·x[I] + b[O], then max(0, ·) when <paramref name="relu"/>.</summary>
    /// <param name="x">Input, [inputs].</param>
    /// <param name="w">Weight, [outputs, inputs].</param>
    /// <param name="bias">Bias, [outputs]; empty = none.</param>
    /// <param name="y">Output, [outputs] (overwritten).</param>
    /// <param name="inputs">I.</param>
    /// <param name="outputs">O.</param>
    /// <param name="relu">Apply max(0, ·) as y is stored.</param>
    /// <param name="mode">One thread or every core; <see cref="GemvMode.Auto"/> = <see cref="Choose"/>.</param>
    /// <param name="packed">The layer's pre-packed weights, which also keep <c>W</c> in row panels for this kernel (see
    /// <see cref="PackedWeights{T}.RowPanelsAreCurrent"/>) when <see cref="UsesRowPanels"/>: the first one-row call after
    /// the weights change reads <c>W</c> as stored, the second packs the row panels as it reads them, and later calls read
    /// only the panels. Null = always read <c>W</c> as stored. The bits are the same either way.</param>
    public static unsafe void Forward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> w, ReadOnlySpan<T> bias, Span<T> y, int inputs, int outputs, bool relu = false, GemvMode mode = GemvMode.Auto, PackedWeights<T>? packed = null)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (packed is not null && (packed.Inputs != inputs || packed.Outputs != outputs))
        {
            throw new ArgumentException($"Packed weights are for {packed.Inputs} inputs and {packed.Outputs} outputs, not {inputs} and {outputs}.", nameof(packed));
        }
        ThrowHelper.RequireNonNegative(inputs, nameof(inputs));
        ThrowHelper.RequireNonNegative(outputs, nameof(outputs));
        ThrowHelper.RequireLength(x.Length, inputs, nameof(x));
        ThrowHelper.RequireLength(w.Length, (long)outputs * inputs, nameof(w));
        ThrowHelper.RequireLength(y.Length, outputs, nameof(y));
        if (!bias.IsEmpty)
        {
            ThrowHelper.RequireSameLength(bias.Length, outputs, nameof(bias));
        }
        if (outputs == 0)
        {
            return;
        }

        if (mode == GemvMode.Auto)
        {
            mode = Choose(outputs, inputs);
        }

        // Row panels: read when current, packed by this call when it is the second since the weights changed.
        T[]? panels = null;
        int panelOffset = 0;
        bool pack = false;
        if (packed is not null && UsesRowPanels(outputs, inputs))
        {
            int width = Width<T>();
            if (packed.RowPanelsAreCurrent && packed.RowPanelWidth == width)
            {
                panels = packed.RowPanels;
            }
            else if (packed.RowPanelsSeenOnce)
            {
                panels = packed.RowPanelsFor((long)outputs * inputs);
                pack = true;
            }
            else
            {
                packed.RowPanelsSeenOnce = true; // once only: a training step at batch 1 changes W before every next call
            }
            panelOffset = packed.RowPanelOffset;
        }

        T[]? copies = packed is not null && AlignInput ? packed.XCopiesFor(inputs) : null;
        fixed (T* px = x)
        fixed (T* pw = w)
        fixed (T* pb = bias)
        fixed (T* py = y)
        fixed (T* pp = panels)
        fixed (T* pc = copies)
        {
            var o = new Operands<T> { X = px, W = pw, Bias = bias.IsEmpty ? null : pb, Y = py, Inputs = inputs, Outputs = outputs, Relu = relu, Panels = pp == null ? null : pp + panelOffset, Pack = pack };
            if (pc != null)
            {
                o.XCopies = pc + packed!.XCopyOffset;
                o.XSlotLength = packed.XSlotLength;
            }
            int blocks = (outputs + RowBlock - 1) / RowBlock;
            int parts = mode == GemvMode.Parallel ? Workers.PartsFor((long)outputs * inputs, ParallelThreshold / 2, blocks, partsPerThread: 1) : 1;
            if (parts > 1 && Workers.TryAcquire(out Job<T> job))
            {
                job.Operands = o;
                // Each core keeps its rows of W (and packs its own row panels) in its cache; with the workers asleep
                // the caller runs every part itself rather than wait for one to wake (Workers.OneCoreWhileAsleep).
                Workers.RunAndRelease(job, parts, affine: true, oneCoreWhileAsleep: true);
            }
            else
            {
                Rows(AlignedX(o, 0, 0, inputs), 0, outputs);
            }
        }

        if (pack)
        {
            packed!.RowPanelWidth = Width<T>();
            packed.RowPanelsAreCurrent = true;
        }
    }

    /// <summary>Elements of <typeparamref name="T"/> in the register <see cref="Rows{T}"/> computes with on this machine:
    /// the width the row panels are laid out for.</summary>
    internal static int Width<T>()
        where T : unmanaged, IBinaryFloatingPointIeee754<T> =>
        Simd512<T>.IsAccelerated ? Simd512<T>.Count : Simd256<T>.IsAccelerated ? Simd256<T>.Count : Simd128<T>.IsAccelerated ? Simd128<T>.Count : 1;

    /// <summary>The operands of one product.</summary>
    internal unsafe struct Operands<T>
        where T : unmanaged
    {
        public T* X, W, Bias, Y;
        public int Inputs, Outputs;
        public bool Relu;

        /// <summary>W in row panels (see <see cref="Rows{T, TS, TV}"/>), [outputs·inputs]; null = read <see cref="W"/> as stored.</summary>
        public T* Panels;

        /// <summary>Copy W into <see cref="Panels"/> for the rows computed, then compute from the panels.</summary>
        public bool Pack;

        /// <summary>Slots on 64-byte lines for a copy of x, one per part (<see cref="AlignedX{T}"/>); null = read x where it is.</summary>
        public T* XCopies;

        /// <summary>Elements per slot of <see cref="XCopies"/>.</summary>
        public int XSlotLength;
    }

    /// <summary>Whether a one-row call with pre-packed weights reads x from a copy on 64-byte lines when x itself is not on
    /// one (ADR 0061, the default): each part copies x[k0, k1) into its own slot of <see cref="PackedWeights{T}.XCopies"/>,
    /// so none reads what another core wrote, and every 512-bit load of x then reads one cache line instead of two. The
    /// values, and so the bits, are the same. Off: x read where it is (as before), for the paired benchmark.</summary>
    internal static bool AlignInput;

    /// <summary><paramref name="o"/> with x[k0, k1) read from slot <paramref name="slot"/> when it has slots and x[k0] is not
    /// on a 64-byte line (X then points k0 elements before the copy, so x[k] keeps its index); else <paramref name="o"/>.</summary>
    internal static unsafe Operands<T> AlignedX<T>(in Operands<T> o, int slot, int k0, int k1)
        where T : unmanaged
    {
        if (o.XCopies == null || (((nint)(o.X + k0)) & 63) == 0 || slot >= PackedWeights<float>.XSlots)
        {
            return o;
        }

        T* copy = o.XCopies + ((nint)slot * o.XSlotLength);
        new ReadOnlySpan<T>(o.X + k0, k1 - k0).CopyTo(new Span<T>(copy, k1 - k0));
        Operands<T> aligned = o;
        aligned.X = copy - k0;
        return aligned;
    }

    /// <summary>Part <c>part</c> of <c>parts</c>: a contiguous range of whole row blocks (the last part takes the rows past
    /// the last whole block), so the split never changes which kernel computes a row.</summary>
    private sealed unsafe class Job<T> : ParallelJob
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        public Operands<T> Operands;

        public override void Run(int part, int parts)
        {
            int blocks = (Operands.Outputs + RowBlock - 1) / RowBlock;
            int r0 = (int)((long)blocks * part / parts) * RowBlock;
            int r1 = Math.Min(Operands.Outputs, (int)((long)blocks * (part + 1) / parts) * RowBlock);
            if (r0 < r1)
            {
                Rows(AlignedX(Operands, part, 0, Operands.Inputs), r0, r1);
            }
        }
    }

    /// <summary>Rows [r0, r1) of y on this thread, with the widest accelerated register.</summary>
    internal static unsafe void Rows<T>(in Operands<T> o, int r0, int r1)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (Simd512<T>.IsAccelerated)
        {
            Rows<T, Simd512<T>, Vector512<T>>(o, r0, r1);
        }
        else if (Simd256<T>.IsAccelerated)
        {
            Rows<T, Simd256<T>, Vector256<T>>(o, r0, r1);
        }
        else if (Simd128<T>.IsAccelerated)
        {
            Rows<T, Simd128<T>, Vector128<T>>(o, r0, r1);
        }
        else
        {
            Rows<T, Scalar<T>, T>(o, r0, r1);
        }
    }

    /// <summary>Rows [r0, r1): blocks of 8, then of 4, then single rows. Each row is the bias (or zero), plus its register
    /// dot product (one FMA chain over the register-wide depth, lanes reduced as <c>ISimd.StoreSums</c> does, or
    /// <c>ISimd.Sum</c> for the last 1–3 rows), plus the scalar tail: the operations, in the order, of the batch kernel's
    /// direct path for a single row (<c>Gemm.MatMulNT</c>, Direct), so a one-row call has the bits it always had.</summary>
    /// <remarks>Row panels (<see cref="Operands{T}.Panels"/>, ADR 0054): a block of <c>n</c> rows starting at row <c>r</c>
    /// occupies the same <c>n·I</c> elements as in W, from <c>r·I</c>, reordered so the kernel reads them in one
    /// sequential stream: for each register step <c>s</c> of the depth, the <c>n</c> rows' registers one after another
    /// (<c>n·width</c> elements), then each row's scalar tail in turn. A single row is stored as in W. Over W as stored, an
    /// 8-row block reads 8 streams of 49 cache lines each (784 floats, 16 per register), which the hardware prefetcher
    /// follows worse than one stream; the arithmetic is the same, in the same order.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static unsafe void Rows<T, TS, TV>(in Operands<T> o, int r0, int r1)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TS : ISimd<TV, T>
        where TV : struct
    {
        int k = o.Inputs;
        int kv = k / TS.Count * TS.Count;
        ref T x = ref Unsafe.AsRef<T>(o.X);
        var rows = new Span<T>(o.Y + r0, r1 - r0);
        if (o.Bias != null)
        {
            new ReadOnlySpan<T>(o.Bias + r0, r1 - r0).CopyTo(rows);
        }
        else
        {
            rows.Clear();
        }

        if (o.Panels != null)
        {
            if (o.Pack)
            {
                PackRows<T>(o, r0, r1, TS.Count);
            }
            PanelRows<T, TS, TV>(o, r0, r1);
        }
        else
        {
            int r = r0;
            for (; r + RowBlock <= r1; r += RowBlock)
            {
                ref T w = ref Unsafe.AsRef<T>(o.W + ((nint)r * k));
                ref T y = ref Unsafe.AsRef<T>(o.Y + r);
                if (kv > 0)
                {
                    Dot8<T, TS, TV>(ref x, ref w, ref y, k, kv);
                }
                Tail<T>(ref Unsafe.Add(ref x, kv), ref Unsafe.Add(ref w, kv), k, ref y, k - kv, RowBlock);
            }
            for (; r + 4 <= r1; r += 4)
            {
                ref T w = ref Unsafe.AsRef<T>(o.W + ((nint)r * k));
                ref T y = ref Unsafe.AsRef<T>(o.Y + r);
                if (kv > 0)
                {
                    Dot4<T, TS, TV>(ref x, ref w, ref y, k, kv);
                }
                Tail<T>(ref Unsafe.Add(ref x, kv), ref Unsafe.Add(ref w, kv), k, ref y, k - kv, 4);
            }
            for (; r < r1; r++)
            {
                SingleRow<T, TS, TV>(ref x, ref Unsafe.AsRef<T>(o.W + ((nint)r * k)), ref Unsafe.AsRef<T>(o.Y + r), k, kv);
            }
        }

        if (o.Relu)
        {
            // The direct path's ReLU pass.
            TensorPrimitives.Max(rows, T.Zero, rows);
        }
    }

    /// <summary>Rows [r0, r1) from the row panels: the blocks of <see cref="Rows{T, TS, TV}"/>, each read as one stream.</summary>
    /// <remarks>A method of its own, never inlined: inlined into <see cref="Rows{T, TS, TV}"/> beside the as-stored path it
    /// exhausted the JIT's inlining budget, and the register multiply-adds of the split GEMV became calls (3× slower).</remarks>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static unsafe void PanelRows<T, TS, TV>(in Operands<T> o, int r0, int r1)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TS : ISimd<TV, T>
        where TV : struct
    {
        int k = o.Inputs;
        int kv = k / TS.Count * TS.Count;
        ref T x = ref Unsafe.AsRef<T>(o.X);
        int r = r0;
        for (; r + RowBlock <= r1; r += RowBlock)
        {
            ref T w = ref Unsafe.AsRef<T>(o.Panels + ((nint)r * k));
            ref T y = ref Unsafe.AsRef<T>(o.Y + r);
            if (kv > 0)
            {
                Dot8Panel<T, TS, TV>(ref x, ref w, ref y, kv);
            }
            Tail<T>(ref Unsafe.Add(ref x, kv), ref Unsafe.Add(ref w, (nint)kv * RowBlock), k - kv, ref y, k - kv, RowBlock);
        }
        for (; r + 4 <= r1; r += 4)
        {
            ref T w = ref Unsafe.AsRef<T>(o.Panels + ((nint)r * k));
            ref T y = ref Unsafe.AsRef<T>(o.Y + r);
            if (kv > 0)
            {
                Dot4Panel<T, TS, TV>(ref x, ref w, ref y, kv);
            }
            Tail<T>(ref Unsafe.Add(ref x, kv), ref Unsafe.Add(ref w, (nint)kv * 4), k - kv, ref y, k - kv, 4);
        }
        for (; r < r1; r++)
        {
            SingleRow<T, TS, TV>(ref x, ref Unsafe.AsRef<T>(o.Panels + ((nint)r * k)), ref Unsafe.AsRef<T>(o.Y + r), k, kv);
        }
    }

    /// <summary>Copies rows [r0, r1) of W into the row panels for registers of <paramref name="width"/> elements (the
    /// layout in the remarks of <see cref="Rows{T, TS, TV}"/>; the blocks fall as there, since a part's range starts on a
    /// whole 8-row block).</summary>
    private static unsafe void PackRows<T>(in Operands<T> o, int r0, int r1, int width)
        where T : unmanaged
    {
        int k = o.Inputs;
        int kv = k / width * width;
        int r = r0;
        while (r < r1)
        {
            int n = r + RowBlock <= r1 ? RowBlock : r + 4 <= r1 ? 4 : 1;
            T* dst = o.Panels + ((nint)r * k);
            for (int s = 0; s < kv; s += width)
            {
                for (int c = 0; c < n; c++)
                {
                    new ReadOnlySpan<T>(o.W + ((nint)(r + c) * k) + s, width).CopyTo(new Span<T>(dst, width));
                    dst += width;
                }
            }
            for (int c = 0; c < n; c++)
            {
                new ReadOnlySpan<T>(o.W + ((nint)(r + c) * k) + kv, k - kv).CopyTo(new Span<T>(dst, k - kv));
                dst += k - kv;
            }
            r += n;
        }
    }

    /// <summary>y += x·w for one row stored contiguously (as in W, and in the row panels): the register chain summed by
    /// <c>ISimd.Sum</c>, plus the scalar tail.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void SingleRow<T, TS, TV>(ref T x, ref T w, ref T y, int k, int kv)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TS : ISimd<TV, T>
        where TV : struct
    {
        T sum = Dot<T, TS, TV>(ref x, ref w, kv) + Dot<T, Scalar<T>, T>(ref Unsafe.Add(ref x, kv), ref Unsafe.Add(ref w, kv), k - kv);
        y += sum;
    }

    /// <summary><see cref="Dot8{T, TS, TV}"/> over a row panel: the 8 rows' registers of each depth step adjacent.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Dot8Panel<T, TS, TV>(ref T x, ref T w, ref T y, int kv)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TS : ISimd<TV, T>
        where TV : struct
    {
        TV s0 = TS.Zero, s1 = TS.Zero, s2 = TS.Zero, s3 = TS.Zero, s4 = TS.Zero, s5 = TS.Zero, s6 = TS.Zero, s7 = TS.Zero;
        nint step = TS.Count;
        ref T wp = ref w;
        for (nint p = 0; p < kv; p += step)
        {
            TV v = TS.Load(ref Unsafe.Add(ref x, p));
            s0 = TS.MultiplyAdd(v, TS.Load(ref wp), s0);
            s1 = TS.MultiplyAdd(v, TS.Load(ref Unsafe.Add(ref wp, step)), s1);
            s2 = TS.MultiplyAdd(v, TS.Load(ref Unsafe.Add(ref wp, 2 * step)), s2);
            s3 = TS.MultiplyAdd(v, TS.Load(ref Unsafe.Add(ref wp, 3 * step)), s3);
            s4 = TS.MultiplyAdd(v, TS.Load(ref Unsafe.Add(ref wp, 4 * step)), s4);
            s5 = TS.MultiplyAdd(v, TS.Load(ref Unsafe.Add(ref wp, 5 * step)), s5);
            s6 = TS.MultiplyAdd(v, TS.Load(ref Unsafe.Add(ref wp, 6 * step)), s6);
            s7 = TS.MultiplyAdd(v, TS.Load(ref Unsafe.Add(ref wp, 7 * step)), s7);
            wp = ref Unsafe.Add(ref wp, 8 * step);
        }

        TS.StoreSums(ref y, s0, s1, s2, s3, accumulate: true);
        TS.StoreSums(ref Unsafe.Add(ref y, 4), s4, s5, s6, s7, accumulate: true);
    }

    /// <summary><see cref="Dot4{T, TS, TV}"/> over a row panel: the 4 rows' registers of each depth step adjacent.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Dot4Panel<T, TS, TV>(ref T x, ref T w, ref T y, int kv)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TS : ISimd<TV, T>
        where TV : struct
    {
        TV s0 = TS.Zero, s1 = TS.Zero, s2 = TS.Zero, s3 = TS.Zero;
        nint step = TS.Count;
        ref T wp = ref w;
        for (nint p = 0; p < kv; p += step)
        {
            TV v = TS.Load(ref Unsafe.Add(ref x, p));
            s0 = TS.MultiplyAdd(v, TS.Load(ref wp), s0);
            s1 = TS.MultiplyAdd(v, TS.Load(ref Unsafe.Add(ref wp, step)), s1);
            s2 = TS.MultiplyAdd(v, TS.Load(ref Unsafe.Add(ref wp, 2 * step)), s2);
            s3 = TS.MultiplyAdd(v, TS.Load(ref Unsafe.Add(ref wp, 3 * step)), s3);
            wp = ref Unsafe.Add(ref wp, 4 * step);
        }

        TS.StoreSums(ref y, s0, s1, s2, s3, accumulate: true);
    }

    /// <summary>Σ_{p&lt;length} x[p]·y[p], one chain, lanes summed by <c>ISimd.Sum</c> (length a multiple of the width).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T Dot<T, TS, TV>(ref T x, ref T y, int length)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TS : ISimd<TV, T>
        where TV : struct
    {
        TV s = TS.Zero;
        nint step = TS.Count;
        for (nint p = 0; p < length; p += step)
        {
            s = TS.MultiplyAdd(TS.Load(ref Unsafe.Add(ref x, p)), TS.Load(ref Unsafe.Add(ref y, p)), s);
        }
        return TS.Sum(s);
    }

    /// <summary>y[c] += Σ_{p&lt;kv} x[p]·w[c·k + p] for c = 0..7 (kv a multiple of the register width).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Dot8<T, TS, TV>(ref T x, ref T w, ref T y, nint k, int kv)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TS : ISimd<TV, T>
        where TV : struct
    {
        TV s0 = TS.Zero, s1 = TS.Zero, s2 = TS.Zero, s3 = TS.Zero, s4 = TS.Zero, s5 = TS.Zero, s6 = TS.Zero, s7 = TS.Zero;
        ref T w0 = ref w;
        ref T w1 = ref Unsafe.Add(ref w0, k);
        ref T w2 = ref Unsafe.Add(ref w1, k);
        ref T w3 = ref Unsafe.Add(ref w2, k);
        ref T w4 = ref Unsafe.Add(ref w3, k);
        ref T w5 = ref Unsafe.Add(ref w4, k);
        ref T w6 = ref Unsafe.Add(ref w5, k);
        ref T w7 = ref Unsafe.Add(ref w6, k);
        nint step = TS.Count;
        for (nint p = 0; p < kv; p += step)
        {
            TV v = TS.Load(ref Unsafe.Add(ref x, p));
            s0 = TS.MultiplyAdd(v, TS.Load(ref Unsafe.Add(ref w0, p)), s0);
            s1 = TS.MultiplyAdd(v, TS.Load(ref Unsafe.Add(ref w1, p)), s1);
            s2 = TS.MultiplyAdd(v, TS.Load(ref Unsafe.Add(ref w2, p)), s2);
            s3 = TS.MultiplyAdd(v, TS.Load(ref Unsafe.Add(ref w3, p)), s3);
            s4 = TS.MultiplyAdd(v, TS.Load(ref Unsafe.Add(ref w4, p)), s4);
            s5 = TS.MultiplyAdd(v, TS.Load(ref Unsafe.Add(ref w5, p)), s5);
            s6 = TS.MultiplyAdd(v, TS.Load(ref Unsafe.Add(ref w6, p)), s6);
            s7 = TS.MultiplyAdd(v, TS.Load(ref Unsafe.Add(ref w7, p)), s7);
        }

        TS.StoreSums(ref y, s0, s1, s2, s3, accumulate: true);
        TS.StoreSums(ref Unsafe.Add(ref y, 4), s4, s5, s6, s7, accumulate: true);
    }

    /// <summary>y[c] += Σ_{p&lt;kv} x[p]·w[c·k + p] for c = 0..3 (kv a multiple of the register width).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Dot4<T, TS, TV>(ref T x, ref T w, ref T y, nint k, int kv)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TS : ISimd<TV, T>
        where TV : struct
    {
        TV s0 = TS.Zero, s1 = TS.Zero, s2 = TS.Zero, s3 = TS.Zero;
        ref T w0 = ref w;
        ref T w1 = ref Unsafe.Add(ref w0, k);
        ref T w2 = ref Unsafe.Add(ref w1, k);
        ref T w3 = ref Unsafe.Add(ref w2, k);
        nint step = TS.Count;
        for (nint p = 0; p < kv; p += step)
        {
            TV v = TS.Load(ref Unsafe.Add(ref x, p));
            s0 = TS.MultiplyAdd(v, TS.Load(ref Unsafe.Add(ref w0, p)), s0);
            s1 = TS.MultiplyAdd(v, TS.Load(ref Unsafe.Add(ref w1, p)), s1);
            s2 = TS.MultiplyAdd(v, TS.Load(ref Unsafe.Add(ref w2, p)), s2);
            s3 = TS.MultiplyAdd(v, TS.Load(ref Unsafe.Add(ref w3, p)), s3);
        }

        TS.StoreSums(ref y, s0, s1, s2, s3, accumulate: true);
    }

    /// <summary>y[c] += Σ_{p&lt;length} x[p]·w[c·stride + p] for c &lt; rows (x and w at the first element past the register-wide
    /// depth): the depth that does not fill a register, summed from zero with separate multiplies and adds (the one-lane
    /// <c>Scalar</c> register's arithmetic), then added.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Tail<T>(ref T x, ref T w, int stride, ref T y, int length, int rows)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (length == 0)
        {
            return;
        }
        for (int c = 0; c < rows; c++)
        {
            ref T wc = ref Unsafe.Add(ref w, (nint)c * stride);
            T s = T.Zero;
            for (int p = 0; p < length; p++)
            {
                s = Scalar<T>.MultiplyAdd(Unsafe.Add(ref x, p), Unsafe.Add(ref wc, p), s);
            }
            Unsafe.Add(ref y, c) += s;
        }
    }
}
