using System;
using System.Diagnostics;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Threading;

namespace NetGen.Kernels;

/// <summary>Two Dense layers at batch 1 in one parallel region (ADR 0061).</summary>
public static partial class Gemv
{
    /// <summary>Whether <see cref="ForwardPair{T}"/> runs both layers in one parallel region (ADR 0061, the default) or, off,
    /// as the two calls the generated code made before (the first split by rows, the second on the caller): for the paired
    /// benchmark (<c>NetGen.Bench --mlp-pair-ab</c>) and the tests that compare the two.</summary>
    internal static bool PairInOneRegion = true;

    /// <summary>Whether row panels allocated from now on start on a 64-byte cache line (ADR 0061, the default), so each
    /// 512-bit load of a panel reads one line; off, they start wherever the array's data does (as before), and most loads
    /// straddle two lines. For the paired benchmark (<c>NetGen.Bench --mlp-pair-ab --align</c>); the bits are the same.</summary>
    internal static bool AlignPanels = true;

    /// <summary>Bench only (<c>NetGen.Bench --mlp-pair-parts</c>, ADR 0067): when set, <see cref="ForwardPair{T}"/> writes
    /// <see cref="System.Diagnostics.Stopwatch.GetTimestamp"/> at each stage of a call into it (see <see cref="Stamp"/>);
    /// null (the default) costs one test per stage.</summary>
    internal static long[]? PairStamps;

    /// <summary>Where each stage's timestamp goes in <see cref="PairStamps"/>: the caller's on one cache line, the half that
    /// runs part 1 on another (index 16 on), so the probe adds no line that crosses the cores.</summary>
    internal enum Stamp
    {
        Enter = 0,
        Publish = 1,
        CallerStart = 2,
        CallerFirstDone = 3,
        CallerDone = 4,
        Joined = 5,
        Added = 6,
        SeenDone = 7,
        WorkerStart = 16,
        WorkerFirstDone = 17,
        WorkerDone = 18,
        WorkerThread = 19,
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Mark(Stamp stage)
    {
        if (PairStamps is { } stamps)
        {
            stamps[(int)stage] = System.Diagnostics.Stopwatch.GetTimestamp();
        }
    }

    /// <summary>Whether the generator fuses a Dense layer of <paramref name="inputs"/> → <paramref name="hidden"/> (ReLU
    /// fused) and the Dense layer of <paramref name="hidden"/> → <paramref name="outputs"/> that reads its output into one
    /// batch-1 call of <see cref="ForwardPair{T}"/>: when the first is split (<see cref="Choose"/> gives
    /// <see cref="GemvMode.Parallel"/>), the second is not (it is smaller than the split threshold), and the hidden layer
    /// has at least 32 units (two halves of whole 16-element registers). The same rule runs at compile time,
    /// <c>CpuLowering.PairsGemv</c>; a test keeps the two equal.</summary>
    public static bool Pairs(int inputs, int hidden, int outputs) =>
        Choose(hidden, inputs) == GemvMode.Parallel && Choose(outputs, hidden) == GemvMode.Serial && hidden >= 2 * PairAlign && outputs > 0;

    /// <summary>The hidden units are cut into halves at a multiple of this (16: a whole 512-bit register of float, two of
    /// double), so the first half's depth of the second product has no scalar tail on any register width.</summary>
    internal const int PairAlign = 16;

    /// <summary>The caller's share of the hidden units, in sixteenths (ADR 0067): 9, the caller 144 of the benchmark MLP's
    /// 256. The worker starts its half about 330 ns after the caller starts its own (the hand-off) and, measured, reads its
    /// half of the first layer more slowly, so an even cut (8, ADR 0061) left the caller waiting for it; paired call by
    /// call, 9 made the split calls 1.03× faster (10: 1.05×, but the caller then finishes last). The cut is part of the
    /// arithmetic (where each output's second chain starts), so it is a constant of the kernel, never a choice made per
    /// call; settable for the paired benchmark (<c>NetGen.Bench --mlp-pair-parts --split</c>) and the tests.</summary>
    internal static int PairCallerSixteenths = 9;

    /// <summary>Where the two halves meet: the first hidden unit of the second half, <see cref="PairCallerSixteenths"/> of
    /// the hidden units rounded down to a multiple of <see cref="PairAlign"/>, leaving each half at least one.</summary>
    internal static int PairSplit(int hidden) =>
        Math.Clamp(hidden * PairCallerSixteenths / 16 / PairAlign * PairAlign, PairAlign, hidden / PairAlign * PairAlign == hidden ? hidden - PairAlign : hidden / PairAlign * PairAlign);

    /// <summary>
    /// <c>h = W₀·x + b₀</c> (then max(0, ·) when <paramref name="relu"/>) and <c>y = W₁·h + b₁</c> (then max(0, ·) when
    /// <paramref name="nextReLU"/>) for one row, with one hand-off between the cores: each core computes its half of
    /// <c>h</c> (rows of <c>W₀</c>, from row panels as <see cref="Forward{T}"/> reads them) and, from that half alone, its
    /// half of the depth of the second product (columns of <c>W₁</c>); after the join the caller adds the other core's
    /// partial sums: <c>y = (b₁ + W₁[:, 0:s]·h[0:s]) + W₁[:, s:H]·h[s:H]</c>, <c>s = </c><see cref="PairSplit"/>.
    /// </summary>
    /// <remarks>
    /// <para>Neither core reads what the other wrote of <c>h</c>; only the 1–2 cache lines per 16 outputs of the second
    /// core's partial sums cross, where the two calls read its half of <c>h</c> and then ran the whole second product on
    /// the caller. Each core reads the same half of both weight tensors on every call, which stays in its L2 cache.</para>
    /// <para>The second product's sums are cut at <c>s</c> whatever the number of threads: on one thread (or with the
    /// workers asleep, or busy) the caller computes both halves in the same order, so the bits never depend on the split.
    /// They differ from <see cref="Forward{T}"/>'s for the second layer (one FMA chain per half instead of one over the
    /// whole depth); the first layer's are <see cref="Forward{T}"/>'s.</para>
    /// </remarks>
    /// <param name="x">Input, [inputs].</param>
    /// <param name="w">First weight, [hidden, inputs].</param>
    /// <param name="bias">First bias, [hidden]; empty = none.</param>
    /// <param name="h">Hidden output, [hidden] (overwritten).</param>
    /// <param name="nextW">Second weight, [outputs, hidden].</param>
    /// <param name="nextBias">Second bias, [outputs]; empty = none.</param>
    /// <param name="y">Output, [outputs] (overwritten).</param>
    /// <param name="inputs">I.</param>
    /// <param name="hidden">H.</param>
    /// <param name="outputs">O.</param>
    /// <param name="relu">max(0, ·) on h.</param>
    /// <param name="nextReLU">max(0, ·) on y.</param>
    /// <param name="packed">The first layer's pre-packed weights (row panels as in <see cref="Forward{T}"/>); null = W as stored.</param>
    /// <param name="nextPacked">The second layer's pre-packed weights: they hold the other core's partial sums between
    /// calls (no allocation per call); null = a buffer allocated per call.</param>
    public static unsafe void ForwardPair<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> w, ReadOnlySpan<T> bias, Span<T> h, ReadOnlySpan<T> nextW, ReadOnlySpan<T> nextBias, Span<T> y, int inputs, int hidden, int outputs, bool relu, bool nextReLU, PackedWeights<T>? packed = null, PackedWeights<T>? nextPacked = null)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (!PairInOneRegion)
        {
            Forward(x, w, bias, h, inputs, hidden, relu, GemvMode.Parallel, packed);
            Forward<T>(h, nextW, nextBias, y, hidden, outputs, nextReLU, GemvMode.Serial, nextPacked);
            return;
        }

        if (nextPacked is not null && (nextPacked.Inputs != hidden || nextPacked.Outputs != outputs))
        {
            throw new ArgumentException($"Packed weights are for {nextPacked.Inputs} inputs and {nextPacked.Outputs} outputs, not {hidden} and {outputs}.", nameof(nextPacked));
        }
        Mark(Stamp.Enter);
        if (packed is not null && (packed.Inputs != inputs || packed.Outputs != hidden))
        {
            throw new ArgumentException($"Packed weights are for {packed.Inputs} inputs and {packed.Outputs} outputs, not {inputs} and {hidden}.", nameof(packed));
        }
        ThrowHelper.RequireNonNegative(inputs, nameof(inputs));
        ThrowHelper.RequireNonNegative(outputs, nameof(outputs));
        if (hidden < 2 * PairAlign)
        {
            throw new ArgumentOutOfRangeException(nameof(hidden), hidden, $"The pair needs at least {2 * PairAlign} hidden units.");
        }
        ThrowHelper.RequireLength(x.Length, inputs, nameof(x));
        ThrowHelper.RequireLength(w.Length, (long)hidden * inputs, nameof(w));
        ThrowHelper.RequireLength(h.Length, hidden, nameof(h));
        ThrowHelper.RequireLength(nextW.Length, (long)outputs * hidden, nameof(nextW));
        ThrowHelper.RequireLength(y.Length, outputs, nameof(y));
        if (!bias.IsEmpty)
        {
            ThrowHelper.RequireSameLength(bias.Length, hidden, nameof(bias));
        }
        if (!nextBias.IsEmpty)
        {
            ThrowHelper.RequireSameLength(nextBias.Length, outputs, nameof(nextBias));
        }

        // Row panels of the first layer, as Forward reads them.
        T[]? panels = null;
        bool pack = false;
        int panelOffset = 0, nextPanelOffset = 0;
        if (packed is not null && UsesRowPanels(hidden, inputs))
        {
            int width = Width<T>();
            if (packed.RowPanelsAreCurrent && packed.RowPanelWidth == width)
            {
                panels = packed.RowPanels;
            }
            else if (packed.RowPanelsSeenOnce)
            {
                panels = packed.RowPanelsFor((long)hidden * inputs);
                pack = true;
            }
            else
            {
                packed.RowPanelsSeenOnce = true;
            }
            panelOffset = packed.RowPanelOffset;
        }

        // The second layer's halves in panels of their own: read when current, packed when the first layer's are used.
        // Over columns (ADR 0067): W₁'s columns, any register width; else row panels for this register width.
        bool columns = ColumnsInPair && PairColumns(outputs);
        T[]? nextPanels = null;
        bool nextPack = false;
        if (nextPacked is not null && panels is not null && columns)
        {
            if (nextPacked.PairColumnsAreCurrent)
            {
                nextPanels = nextPacked.PairColumnPanels;
            }
            else
            {
                nextPanels = nextPacked.PairColumnsFor((long)outputs * hidden);
                nextPack = true;
            }
            nextPanelOffset = nextPacked.PairColumnOffset;
        }
        else if (nextPacked is not null && panels is not null)
        {
            if (nextPacked.PairPanelsAreCurrent && nextPacked.PairPanelWidth == Width<T>() && nextPacked.PairPanelSplit == PairSplit(hidden))
            {
                nextPanels = nextPacked.PairPanels;
            }
            else
            {
                nextPanels = nextPacked.PairPanelsFor((long)outputs * hidden);
                nextPack = true;
            }
            nextPanelOffset = nextPacked.PairPanelOffset;
        }

        T[] partial = nextPacked is null ? new T[outputs] : nextPacked.PairPartials ??= new T[outputs];
        T[]? copies = packed is not null && AlignInput ? packed.XCopiesFor(inputs) : null;
        T[]? nextCopies = nextPacked is not null && AlignInput ? nextPacked.XCopiesFor(hidden) : null;
        fixed (T* px = x)
        fixed (T* pw = w)
        fixed (T* pb = bias)
        fixed (T* ph = h)
        fixed (T* pp = panels)
        fixed (T* pw1 = nextW)
        fixed (T* pb1 = nextBias)
        fixed (T* py = y)
        fixed (T* pq = partial)
        fixed (T* pn = nextPanels)
        fixed (T* pc = copies)
        fixed (T* pnc = nextCopies)
        {
            var job = new PairOperands<T>
            {
                First = new Operands<T> { X = px, W = pw, Bias = bias.IsEmpty ? null : pb, Y = ph, Inputs = inputs, Outputs = hidden, Relu = relu, Panels = pp == null ? null : pp + panelOffset, Pack = pack },
                NextW = pw1,
                NextBias = nextBias.IsEmpty ? null : pb1,
                Y = py,
                Partial = pq,
                Outputs = outputs,
                NextPanels = pn == null ? null : pn + nextPanelOffset,
                NextPack = nextPack,
                Columns = columns,
                NextReLU = nextReLU,
            };
            if (pc != null)
            {
                job.First.XCopies = pc + packed!.XCopyOffset;
                job.First.XSlotLength = packed.XSlotLength;
            }
            if (pnc != null)
            {
                job.NextXCopies = pnc + nextPacked!.XCopyOffset;
                job.NextXSlotLength = nextPacked.XSlotLength;
            }
            Mark(Stamp.Publish);
            bool added = false;
            if (Workers.MaxParts > 1 && Workers.TryAcquire(out PairJob<T> pair))
            {
                pair.Operands = job;
                pair.AddedInCallersPart = false;
                pair.Call++;
                Workers.RunAndRelease(pair, 2, affine: true, oneCoreWhileAsleep: true);
                added = pair.AddedInCallersPart;
            }
            else
            {
                PairHalf(job, 0);
                PairHalf(job, 1);
            }
            Mark(Stamp.Joined);
            if (!added)
            {
                AddHalves(job);
            }
        }

        if (pack)
        {
            packed!.RowPanelWidth = Width<T>();
            packed.RowPanelsAreCurrent = true;
        }
        if (nextPack && columns)
        {
            nextPacked!.PairColumnsAreCurrent = true;
        }
        else if (nextPack)
        {
            nextPacked!.PairPanelWidth = Width<T>();
            nextPacked.PairPanelSplit = PairSplit(hidden);
            nextPacked.PairPanelsAreCurrent = true;
        }
    }

    /// <summary>The operands of <see cref="ForwardPair{T}"/>.</summary>
    internal unsafe struct PairOperands<T>
        where T : unmanaged
    {
        /// <summary>The first product, h = W₀·x + b₀ (its Y is h).</summary>
        public Operands<T> First;

        /// <summary>W₁ [outputs, hidden], b₁ [outputs] or null, y [outputs], the second half's partial sums [outputs].</summary>
        public T* NextW, NextBias, Y, Partial;

        /// <summary>O of the second product.</summary>
        public int Outputs;

        /// <summary>W₁'s two halves of the depth in row panels (<see cref="PackedWeights{T}.PairPanels"/>); null = W₁ as stored.</summary>
        public T* NextPanels;

        /// <summary>Copy each half of W₁ into <see cref="NextPanels"/> before computing from them.</summary>
        public bool NextPack;

        /// <summary>Slots on 64-byte lines for each half's copy of h (<see cref="AlignedX{T}"/>); null = h read where it is.</summary>
        public T* NextXCopies;

        /// <summary>Elements per slot of <see cref="NextXCopies"/>.</summary>
        public int NextXSlotLength;

        /// <summary>The second product's halves as one FMA chain per output over W₁'s columns (<see cref="PairColumns"/>).</summary>
        public bool Columns;

        /// <summary>max(0, ·) on y.</summary>
        public bool NextReLU;
    }

    /// <summary>Whether the caller, done with its half while the worker runs the other, waits for that half inside its own
    /// part (on a flag the worker writes after its partial sums) and adds the partial sums there, meant to overlap the add
    /// with the worker's own bookkeeping in <see cref="Workers"/> (ADR 0067). Measured slower, so off: in the host's slow
    /// state each crossing between the cores costs about 350 ns, and the flag is one crossing more before the join
    /// (paired, the worker's half done → the join returned 0.92 µs against 0.70 µs after the join with the add). Off: the
    /// add after <see cref="Workers.RunAndRelease"/> returns (ADR 0061). The same operations either way, so the same bits.</summary>
    internal static bool JoinInCallersPart;

    /// <summary>y = (b₁ + first half's sums) + second half's sums, then max(0, ·) when asked: after both halves are done.</summary>
    private static unsafe void AddHalves<T>(in PairOperands<T> o)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        var ys = new Span<T>(o.Y, o.Outputs);
        TensorPrimitives.Add(ys, new ReadOnlySpan<T>(o.Partial, o.Outputs), ys);
        if (o.NextReLU)
        {
            TensorPrimitives.Max(ys, T.Zero, ys);
        }
        Mark(Stamp.Added);
    }

    /// <summary>The two halves of <see cref="ForwardPair{T}"/>, one per part (the caller's first).</summary>
    private sealed class PairJob<T> : ParallelJob
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        public PairOperands<T> Operands;

        /// <summary>This call's number (the caller counts them), which part 1's thread writes to <see cref="_started"/> and
        /// <see cref="_done"/>.</summary>
        public long Call;

        /// <summary>Whether part 0 added the halves (<see cref="JoinInCallersPart"/>); else the caller adds them after the join.</summary>
        public bool AddedInCallersPart;

        // Written by the thread that runs part 1; read by part 0.
        private long _started, _done;

        public override void Run(int part, int parts)
        {
            if (parts == 1)
            {
                PairHalf(Operands, 0);
                PairHalf(Operands, 1);
                return;
            }

            Mark(part == 0 ? Stamp.CallerStart : Stamp.WorkerStart);
            long call = Call;
            if (part == 1)
            {
                Volatile.Write(ref _started, call);
                try
                {
                    PairHalf(Operands, 1);
                }
                finally
                {
                    Volatile.Write(ref _done, call); // after the partial sums (stores are not reordered on x64 or by Volatile)
                }
                Mark(Stamp.WorkerDone);
                if (PairStamps is { } stamps)
                {
                    stamps[(int)Stamp.WorkerThread] = Environment.CurrentManagedThreadId;
                }
                return;
            }

            PairHalf(Operands, 0);
            Mark(Stamp.CallerDone);
            if (JoinInCallersPart && Volatile.Read(ref _started) == call)
            {
                // Part 1 is running on another thread (a part, once claimed, is finished by whoever claimed it, so this
                // waits no longer than RunAndRelease would): wait for it, with pauses first, then yielding (a worker that
                // shares this core, on an oversubscribed machine, needs it to run).
                var spin = new SpinWait();
                long pauseUntil = Stopwatch.GetTimestamp() + (Stopwatch.Frequency * Workers.CallerPauseMicroseconds / 1_000_000);
                while (Volatile.Read(ref _done) != call)
                {
                    if (pauseUntil != 0)
                    {
                        for (int i = 0; i < 64 && Volatile.Read(ref _done) != call; i++)
                        {
                            Thread.SpinWait(1);
                        }
                        pauseUntil = Stopwatch.GetTimestamp() < pauseUntil ? pauseUntil : 0;
                        continue;
                    }
                    spin.SpinOnce(sleep1Threshold: -1);
                }
                Mark(Stamp.SeenDone);
                AddHalves(Operands);
                AddedInCallersPart = true;
            }
        }
    }

    /// <summary>Half <paramref name="half"/> of the pair: rows [r0, r1) of h, then the second product over the depth
    /// [r0, r1), into y on top of b₁ (half 0) or into the partial sums from zero (half 1).</summary>
    private static unsafe void PairHalf<T>(in PairOperands<T> o, int half)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int hidden = o.First.Outputs;
        int s = PairSplit(hidden);
        int r0 = half == 0 ? 0 : s, r1 = half == 0 ? s : hidden;
        Rows(AlignedX(o.First, half, 0, o.First.Inputs), r0, r1);
        Mark(half == 0 ? Stamp.CallerFirstDone : Stamp.WorkerFirstDone);
        if (o.Columns)
        {
            ColumnHalf(o, half, r0, r1);
            return;
        }

        var next = new Operands<T>
        {
            X = o.First.Y,
            W = o.NextW,
            Bias = half == 0 ? o.NextBias : null,
            Y = half == 0 ? o.Y : o.Partial,
            Inputs = hidden,
            Outputs = o.Outputs,
        };
        if (o.NextPanels == null)
        {
            DepthRows(next, r0, r1);
            return;
        }

        // The half's own panels: Rows over a product of r1 − r0 inputs from h[r0], the same operations as DepthRows.
        T* panels = o.NextPanels + ((nint)o.Outputs * r0);
        if (o.NextPack)
        {
            PackDepth(o.NextW, hidden, r0, r1, o.Outputs, panels, Width<T>());
        }
        next.X = o.First.Y + r0;
        next.Inputs = r1 - r0;
        next.Panels = panels;
        next.XCopies = o.NextXCopies;
        next.XSlotLength = o.NextXSlotLength;
        Rows(AlignedX(next, half, 0, r1 - r0), 0, o.Outputs);
    }

    /// <summary>Copies the columns [k0, k1) of every row of W [rows, stride] into row panels for registers of
    /// <paramref name="width"/> elements, the layout of <c>PackRows</c> for a product of k1 − k0 inputs.</summary>
    private static unsafe void PackDepth<T>(T* w, int stride, int k0, int k1, int rows, T* dst, int width)
        where T : unmanaged
    {
        int k = k1 - k0;
        int kv = k / width * width;
        int r = 0;
        while (r < rows)
        {
            int n = r + RowBlock <= rows ? RowBlock : r + 4 <= rows ? 4 : 1;
            for (int s = 0; s < kv; s += width)
            {
                for (int c = 0; c < n; c++)
                {
                    new ReadOnlySpan<T>(w + ((nint)(r + c) * stride) + k0 + s, width).CopyTo(new Span<T>(dst, width));
                    dst += width;
                }
            }
            for (int c = 0; c < n; c++)
            {
                new ReadOnlySpan<T>(w + ((nint)(r + c) * stride) + k0 + kv, k - kv).CopyTo(new Span<T>(dst, k - kv));
                dst += k - kv;
            }
            r += n;
        }
    }

    /// <summary>y[O] = b + W[:, k0:k1]·x[k0:k1] (b = zero when null) on this thread, with the widest accelerated register.</summary>
    private static unsafe void DepthRows<T>(in Operands<T> o, int k0, int k1)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (Simd512<T>.IsAccelerated)
        {
            DepthRows<T, Simd512<T>, Vector512<T>>(o, k0, k1);
        }
        else if (Simd256<T>.IsAccelerated)
        {
            DepthRows<T, Simd256<T>, Vector256<T>>(o, k0, k1);
        }
        else if (Simd128<T>.IsAccelerated)
        {
            DepthRows<T, Simd128<T>, Vector128<T>>(o, k0, k1);
        }
        else
        {
            DepthRows<T, Scalar<T>, T>(o, k0, k1);
        }
    }

    /// <summary>Every row of y over the depth [k0, k1) of W as stored: the blocks of 8, 4 and 1 rows of
    /// <see cref="Rows{T, TS, TV}"/> (one FMA chain over the register-wide part of the range, lanes reduced by
    /// <c>ISimd.StoreSums</c> or <c>ISimd.Sum</c>, then the scalar tail), on top of the bias or zero.</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static unsafe void DepthRows<T, TS, TV>(in Operands<T> o, int k0, int k1)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TS : ISimd<TV, T>
        where TV : struct
    {
        int stride = o.Inputs, length = k1 - k0;
        int kv = length / TS.Count * TS.Count;
        int rows = o.Outputs;
        var ys = new Span<T>(o.Y, rows);
        if (o.Bias != null)
        {
            new ReadOnlySpan<T>(o.Bias, rows).CopyTo(ys);
        }
        else
        {
            ys.Clear();
        }

        ref T x = ref Unsafe.AsRef<T>(o.X + k0);
        int r = 0;
        for (; r + RowBlock <= rows; r += RowBlock)
        {
            ref T w = ref Unsafe.AsRef<T>(o.W + ((nint)r * stride) + k0);
            ref T y = ref Unsafe.AsRef<T>(o.Y + r);
            if (kv > 0)
            {
                Dot8<T, TS, TV>(ref x, ref w, ref y, stride, kv);
            }
            Tail<T>(ref Unsafe.Add(ref x, kv), ref Unsafe.Add(ref w, kv), stride, ref y, length - kv, RowBlock);
        }
        for (; r + 4 <= rows; r += 4)
        {
            ref T w = ref Unsafe.AsRef<T>(o.W + ((nint)r * stride) + k0);
            ref T y = ref Unsafe.AsRef<T>(o.Y + r);
            if (kv > 0)
            {
                Dot4<T, TS, TV>(ref x, ref w, ref y, stride, kv);
            }
            Tail<T>(ref Unsafe.Add(ref x, kv), ref Unsafe.Add(ref w, kv), stride, ref y, length - kv, 4);
        }
        for (; r < rows; r++)
        {
            SingleRow<T, TS, TV>(ref x, ref Unsafe.AsRef<T>(o.W + ((nint)r * stride) + k0), ref Unsafe.AsRef<T>(o.Y + r), length, kv);
        }
    }
}
