using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace NetGen.Kernels;

/// <summary>
/// A narrow Dense → ReLU → Dense pair in one pass per direction, its hidden activations recomputed instead of stored:
/// <c>y[B,O] = max(0, x[B,I]·W0[H,I]ᵀ + b0)·W1[O,H]ᵀ + b1</c> with I ≤ <see cref="MaxInputs"/> and O ≤ <see cref="MaxOutputs"/>.
/// </summary>
/// <remarks>
/// <para>With 2 inputs and 3 outputs around 100 hidden units (the CS231n spiral), the two GEMMs are 2 and 3 multiply-adds
/// per hidden value, while storing the hidden [B, H] tensor, reading it back, writing its gradient and reading that
/// again moves 4·B·H values through the cache: the memory traffic, not the arithmetic, was the cost. Here the hidden
/// values live in registers only. The forward keeps O running sums per row; the backward recomputes
/// <c>z = x·W0ᵀ + b0</c> (I multiply-adds per value, the same operations in the same order as the forward, so the same
/// bits and the same ReLU mask) and keeps every gradient sum of a block of hidden units in registers for the whole batch.</para>
/// <para>The generator emits this for the layers [Dense(I ≤ 4), ReLU, Dense(O ≤ 4)] at the start of a network (the
/// input needs no gradient). Results equal the unfused layers up to float rounding (different summation order).</para>
/// <para>Hidden units are padded to a multiple of 16 (the widest register of float) in <c>scratch</c>: padded units have
/// zero weights and bias, so they add nothing and get no gradient, and no scalar tail loop is needed.</para>
/// </remarks>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public static class DenseReLUDense
{
    /// <summary>Largest I the pair accepts.</summary>
    public const int MaxInputs = 4;

    /// <summary>Largest O the pair accepts.</summary>
    public const int MaxOutputs = 4;

    /// <summary>Hidden units are padded to a multiple of this (16 floats = one Vector512).</summary>
    private const int Pad = 16;

    /// <summary>Elements of the scratch buffer Forward and Backward need: the padded copies of
    /// W0ᵀ, b0 and W1, and the backward's gradient sums, (I + 1 + O) rows of the padded hidden width each.</summary>
    public static int ScratchLength(int inputs, int hidden, int outputs)
    {
        CheckShape(inputs, hidden, outputs);
        return 2 * (inputs + 1 + outputs) * Padded(hidden);
    }

    /// <summary>y[B,O] = max(0, x[B,I]·W0[H,I]ᵀ + b0[H])·W1[O,H]ᵀ + b1[O]; the hidden [B,H] is never stored.</summary>
    /// <param name="x">Input, [batch, inputs].</param>
    /// <param name="w0">First weight, [hidden, inputs].</param>
    /// <param name="b0">First bias, [hidden]; empty = none.</param>
    /// <param name="w1">Second weight, [outputs, hidden].</param>
    /// <param name="b1">Second bias, [outputs]; empty = none.</param>
    /// <param name="y">Output, [batch, outputs] (overwritten).</param>
    /// <param name="batch">B.</param>
    /// <param name="inputs">I (1 to <see cref="MaxInputs"/>).</param>
    /// <param name="hidden">H.</param>
    /// <param name="outputs">O (1 to <see cref="MaxOutputs"/>).</param>
    /// <param name="scratch">At least <see cref="ScratchLength"/> elements; contents on entry do not matter.</param>
    public static void Forward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> w0, ReadOnlySpan<T> b0, ReadOnlySpan<T> w1, ReadOnlySpan<T> b1, Span<T> y, int batch, int inputs, int hidden, int outputs, Span<T> scratch)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        Check(x, w0, b0, w1, b1, batch, inputs, hidden, outputs, scratch);
        ThrowHelper.RequireLength(y.Length, (long)batch * outputs, nameof(y));
        if (Simd512<T>.IsAccelerated)
        {
            Forward<T, Simd512<T>, Vector512<T>>(x, w0, b0, w1, b1, y, batch, inputs, hidden, outputs, scratch);
        }
        else if (Simd256<T>.IsAccelerated)
        {
            Forward<T, Simd256<T>, Vector256<T>>(x, w0, b0, w1, b1, y, batch, inputs, hidden, outputs, scratch);
        }
        else if (Simd128<T>.IsAccelerated)
        {
            Forward<T, Simd128<T>, Vector128<T>>(x, w0, b0, w1, b1, y, batch, inputs, hidden, outputs, scratch);
        }
        else
        {
            Forward<T, Scalar<T>, T>(x, w0, b0, w1, b1, y, batch, inputs, hidden, outputs, scratch);
        }
    }

    /// <summary>The forward in registers of <typeparamref name="TS"/> (tests run every width); arguments already checked.</summary>
    internal static unsafe void Forward<T, TS, TV>(ReadOnlySpan<T> x, ReadOnlySpan<T> w0, ReadOnlySpan<T> b0, ReadOnlySpan<T> w1, ReadOnlySpan<T> b1, Span<T> y, int batch, int inputs, int hidden, int outputs, Span<T> scratch)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TS : ISimd<TV, T>
        where TV : struct
    {
        int hp = Padded(hidden);
        Stage(w0, b0, w1, inputs, hidden, outputs, hp, scratch);
        var c = new Bias4<T>(b1, outputs);
        fixed (T* px = x)
        fixed (T* ps = scratch)
        fixed (T* py = y)
        {
            int parts = Parts(batch, hp, inputs + outputs + 1, batch);
            if (parts > 1 && Workers.TryAcquire(out PairJob<T, TS, TV> job))
            {
                job.Set(forward: true, null, px, ps, py, c, batch, inputs, hp, outputs);
                Workers.RunAndRelease(job, parts);
            }
            else
            {
                ForwardRows<T, TS, TV>(px, ps, c, py, 0, batch, inputs, hp, outputs);
            }
        }
    }

    /// <summary>From dy[B,O]: dW1 += dyᵀ·h, db1 += Σ_B dy, dh = (dy·W1) ⊙ 1(z &gt; 0), dW0 += dhᵀ·x, db0 += Σ_B dh, where
    /// z = x·W0ᵀ + b0 and h = max(0, z) are recomputed. No gradient for x (the pair starts the network).</summary>
    /// <param name="dy">Gradient of the output, [batch, outputs].</param>
    /// <param name="x">Input, [batch, inputs].</param>
    /// <param name="w0">First weight, [hidden, inputs].</param>
    /// <param name="b0">First bias, [hidden]; empty = none.</param>
    /// <param name="w1">Second weight, [outputs, hidden].</param>
    /// <param name="dw0">Gradient of <paramref name="w0"/> (accumulated unless <paramref name="accumulate"/> is false).</param>
    /// <param name="db0">Gradient of <paramref name="b0"/> (likewise); empty = none.</param>
    /// <param name="dw1">Gradient of <paramref name="w1"/> (accumulated unless <paramref name="accumulate"/> is false).</param>
    /// <param name="db1">Gradient of the second bias (likewise); empty = none.</param>
    /// <param name="batch">B.</param>
    /// <param name="inputs">I (1 to <see cref="MaxInputs"/>).</param>
    /// <param name="hidden">H.</param>
    /// <param name="outputs">O (1 to <see cref="MaxOutputs"/>).</param>
    /// <param name="scratch">At least <see cref="ScratchLength"/> elements; contents on entry do not matter.</param>
    /// <param name="accumulate">Add to the four gradients (true) or overwrite them (false, as generated networks do).</param>
    public static void Backward<T>(ReadOnlySpan<T> dy, ReadOnlySpan<T> x, ReadOnlySpan<T> w0, ReadOnlySpan<T> b0, ReadOnlySpan<T> w1, Span<T> dw0, Span<T> db0, Span<T> dw1, Span<T> db1, int batch, int inputs, int hidden, int outputs, Span<T> scratch, bool accumulate = true)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        Check(x, w0, b0, w1, default, batch, inputs, hidden, outputs, scratch);
        ThrowHelper.RequireLength(dy.Length, (long)batch * outputs, nameof(dy));
        ThrowHelper.RequireLength(dw0.Length, (long)hidden * inputs, nameof(dw0));
        ThrowHelper.RequireLength(dw1.Length, (long)outputs * hidden, nameof(dw1));
        if (!db0.IsEmpty)
        {
            ThrowHelper.RequireSameLength(db0.Length, hidden, nameof(db0));
        }
        if (!db1.IsEmpty)
        {
            ThrowHelper.RequireSameLength(db1.Length, outputs, nameof(db1));
        }

        if (Simd512<T>.IsAccelerated)
        {
            Backward<T, Simd512<T>, Vector512<T>>(dy, x, w0, b0, w1, dw0, db0, dw1, db1, batch, inputs, hidden, outputs, scratch, accumulate);
        }
        else if (Simd256<T>.IsAccelerated)
        {
            Backward<T, Simd256<T>, Vector256<T>>(dy, x, w0, b0, w1, dw0, db0, dw1, db1, batch, inputs, hidden, outputs, scratch, accumulate);
        }
        else if (Simd128<T>.IsAccelerated)
        {
            Backward<T, Simd128<T>, Vector128<T>>(dy, x, w0, b0, w1, dw0, db0, dw1, db1, batch, inputs, hidden, outputs, scratch, accumulate);
        }
        else
        {
            Backward<T, Scalar<T>, T>(dy, x, w0, b0, w1, dw0, db0, dw1, db1, batch, inputs, hidden, outputs, scratch, accumulate);
        }
    }

    /// <summary>The backward in registers of <typeparamref name="TS"/> (tests run every width); arguments already checked.</summary>
    internal static unsafe void Backward<T, TS, TV>(ReadOnlySpan<T> dy, ReadOnlySpan<T> x, ReadOnlySpan<T> w0, ReadOnlySpan<T> b0, ReadOnlySpan<T> w1, Span<T> dw0, Span<T> db0, Span<T> dw1, Span<T> db1, int batch, int inputs, int hidden, int outputs, Span<T> scratch, bool accumulate = true)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TS : ISimd<TV, T>
        where TV : struct
    {
        int hp = Padded(hidden);
        Stage(w0, b0, w1, inputs, hidden, outputs, hp, scratch);
        fixed (T* pdy = dy)
        fixed (T* px = x)
        fixed (T* ps = scratch)
        {
            int blocks = hp / TS.Count;
            int parts = Parts(batch, hp, inputs + outputs + 1, blocks);
            if (parts > 1 && Workers.TryAcquire(out PairJob<T, TS, TV> job))
            {
                job.Set(forward: false, pdy, px, ps, null, default, batch, inputs, hp, outputs);
                Workers.RunAndRelease(job, parts);
            }
            else
            {
                BackwardBlocks<T, TS, TV>(pdy, px, ps, batch, inputs, hp, outputs, 0, blocks);
            }
        }

        // The sums sit in the second half of scratch, rows of the padded width: dW1 rows o, then dW0 columns i, then db0.
        Span<T> sums = scratch.Slice((inputs + 1 + outputs) * hp);
        if (!accumulate)
        {
            dw1.Slice(0, outputs * hidden).Clear();
            dw0.Slice(0, hidden * inputs).Clear();
            db0.Clear();
            db1.Clear();
        }
        for (int o = 0; o < outputs; o++)
        {
            Span<T> row = dw1.Slice(o * hidden, hidden);
            ReadOnlySpan<T> sum = sums.Slice(o * hp, hidden);
            for (int j = 0; j < hidden; j++)
            {
                row[j] += sum[j];
            }
        }
        for (int i = 0; i < inputs; i++)
        {
            ReadOnlySpan<T> sum = sums.Slice((outputs + i) * hp, hidden);
            for (int j = 0; j < hidden; j++)
            {
                dw0[(j * inputs) + i] += sum[j];
            }
        }
        if (!db0.IsEmpty)
        {
            ReadOnlySpan<T> sum = sums.Slice((outputs + inputs) * hp, hidden);
            for (int j = 0; j < hidden; j++)
            {
                db0[j] += sum[j];
            }
        }
        if (!db1.IsEmpty)
        {
            for (int o = 0; o < outputs; o++)
            {
                T s = T.Zero;
                for (int b = 0; b < batch; b++)
                {
                    s += dy[(b * outputs) + o];
                }
                db1[o] += s;
            }
        }
    }

    private static int Padded(int hidden) => (hidden + Pad - 1) / Pad * Pad;

    /// <summary>Parts of a parallel run (claimed one at a time by the cores), each at least ~32k multiply-adds, never more
    /// than the units (rows forward, register blocks of hidden units backward) there are to share.</summary>
    private static int Parts(int batch, int hp, int perUnit, int units)
    {
        return Workers.PartsFor((long)batch * hp * perUnit, 1 << 15, units);
    }

    /// <summary>The second bias as four scalars (zero past O, or when there is none).</summary>
    private readonly struct Bias4<T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        public readonly T C0, C1, C2, C3;

        public Bias4(ReadOnlySpan<T> b, int outputs)
        {
            C0 = b.IsEmpty ? T.Zero : b[0];
            C1 = b.IsEmpty || outputs < 2 ? T.Zero : b[1];
            C2 = b.IsEmpty || outputs < 3 ? T.Zero : b[2];
            C3 = b.IsEmpty || outputs < 4 ? T.Zero : b[3];
        }
    }

    /// <summary>A parallel run: forward parts take whole rows, backward parts whole register blocks of hidden units (each
    /// writes only its own gradient sums). Every value is computed by the same operations as in a one-thread run, so the
    /// bits do not depend on the split.</summary>
    private sealed unsafe class PairJob<T, TS, TV> : ParallelJob
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TS : ISimd<TV, T>
        where TV : struct
    {
        private bool _forward;
        private T* _dy, _x, _s, _y;
        private Bias4<T> _c;
        private int _batch, _inputs, _hp, _outputs;

        public void Set(bool forward, T* dy, T* x, T* s, T* y, Bias4<T> c, int batch, int inputs, int hp, int outputs)
        {
            _forward = forward;
            _dy = dy;
            _x = x;
            _s = s;
            _y = y;
            _c = c;
            (_batch, _inputs, _hp, _outputs) = (batch, inputs, hp, outputs);
        }

        public override void Run(int part, int parts)
        {
            int units = _forward ? _batch : _hp / TS.Count;
            int start = (int)((long)units * part / parts), end = (int)((long)units * (part + 1) / parts);
            if (_forward)
            {
                ForwardRows<T, TS, TV>(_x, _s, _c, _y, start, end, _inputs, _hp, _outputs);
            }
            else
            {
                BackwardBlocks<T, TS, TV>(_dy, _x, _s, _batch, _inputs, _hp, _outputs, start, end);
            }
        }
    }

    private static unsafe void ForwardRows<T, TS, TV>(T* x, T* s, Bias4<T> c, T* y, int r0, int r1, int inputs, int hp, int outputs)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TS : ISimd<TV, T>
        where TV : struct
    {
        ref T rx = ref Unsafe.AsRef<T>(x + ((nint)r0 * inputs));
        ref T ry = ref Unsafe.AsRef<T>(y + ((nint)r0 * outputs));
        ref T rs = ref Unsafe.AsRef<T>(s);
        switch (inputs)
        {
            case 1: Forward<T, TS, TV, N1>(ref rx, ref rs, c, ref ry, r1 - r0, hp, outputs); break;
            case 2: Forward<T, TS, TV, N2>(ref rx, ref rs, c, ref ry, r1 - r0, hp, outputs); break;
            case 3: Forward<T, TS, TV, N3>(ref rx, ref rs, c, ref ry, r1 - r0, hp, outputs); break;
            default: Forward<T, TS, TV, N4>(ref rx, ref rs, c, ref ry, r1 - r0, hp, outputs); break;
        }
    }

    private static unsafe void BackwardBlocks<T, TS, TV>(T* dy, T* x, T* s, int batch, int inputs, int hp, int outputs, int block0, int block1)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TS : ISimd<TV, T>
        where TV : struct
    {
        ref T rdy = ref Unsafe.AsRef<T>(dy);
        ref T rx = ref Unsafe.AsRef<T>(x);
        ref T rs = ref Unsafe.AsRef<T>(s);
        int j0 = block0 * TS.Count, j1 = block1 * TS.Count;
        switch (inputs)
        {
            case 1: Backward<T, TS, TV, N1>(ref rdy, ref rx, ref rs, batch, hp, outputs, j0, j1); break;
            case 2: Backward<T, TS, TV, N2>(ref rdy, ref rx, ref rs, batch, hp, outputs, j0, j1); break;
            case 3: Backward<T, TS, TV, N3>(ref rdy, ref rx, ref rs, batch, hp, outputs, j0, j1); break;
            default: Backward<T, TS, TV, N4>(ref rdy, ref rx, ref rs, batch, hp, outputs, j0, j1); break;
        }
    }

    private static void CheckShape(int inputs, int hidden, int outputs)
    {
        if (inputs is < 1 or > MaxInputs)
        {
            throw new ArgumentOutOfRangeException(nameof(inputs), inputs, $"The fused Dense → ReLU → Dense pair takes 1 to {MaxInputs} inputs.");
        }
        if (outputs is < 1 or > MaxOutputs)
        {
            throw new ArgumentOutOfRangeException(nameof(outputs), outputs, $"The fused Dense → ReLU → Dense pair has 1 to {MaxOutputs} outputs.");
        }
        ThrowHelper.RequireNonNegative(hidden, nameof(hidden));
    }

    private static void Check<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> w0, ReadOnlySpan<T> b0, ReadOnlySpan<T> w1, ReadOnlySpan<T> b1, int batch, int inputs, int hidden, int outputs, Span<T> scratch)
    {
        ThrowHelper.RequireNonNegative(batch, nameof(batch));
        CheckShape(inputs, hidden, outputs);
        ThrowHelper.RequireLength(x.Length, (long)batch * inputs, nameof(x));
        ThrowHelper.RequireLength(w0.Length, (long)hidden * inputs, nameof(w0));
        ThrowHelper.RequireLength(w1.Length, (long)outputs * hidden, nameof(w1));
        if (!b0.IsEmpty)
        {
            ThrowHelper.RequireSameLength(b0.Length, hidden, nameof(b0));
        }
        if (!b1.IsEmpty)
        {
            ThrowHelper.RequireSameLength(b1.Length, outputs, nameof(b1));
        }
        ThrowHelper.RequireLength(scratch.Length, 2L * (inputs + 1 + outputs) * Padded(hidden), nameof(scratch));
    }

    /// <summary>First half of scratch, rows of the padded width hp, zero past H: W0ᵀ rows i (I of them), b0, W1 rows o.</summary>
    private static void Stage<T>(ReadOnlySpan<T> w0, ReadOnlySpan<T> b0, ReadOnlySpan<T> w1, int inputs, int hidden, int outputs, int hp, Span<T> scratch)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        scratch.Slice(0, (inputs + 1 + outputs) * hp).Clear();
        for (int j = 0; j < hidden; j++)
        {
            for (int i = 0; i < inputs; i++)
            {
                scratch[(i * hp) + j] = w0[(j * inputs) + i];
            }
        }
        if (!b0.IsEmpty)
        {
            b0.Slice(0, hidden).CopyTo(scratch.Slice(inputs * hp));
        }
        for (int o = 0; o < outputs; o++)
        {
            w1.Slice(o * hidden, hidden).CopyTo(scratch.Slice((inputs + 1 + o) * hp));
        }
    }

    private static void Forward<T, TS, TV, TI>(ref T x, ref T s, Bias4<T> b1, ref T y, int batch, int hp, int outputs)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TS : ISimd<TV, T>
        where TV : struct
        where TI : struct, INumber
    {
        switch (outputs)
        {
            case 1: Forward<T, TS, TV, TI, N1>(ref x, ref s, b1, ref y, batch, hp); break;
            case 2: Forward<T, TS, TV, TI, N2>(ref x, ref s, b1, ref y, batch, hp); break;
            case 3: Forward<T, TS, TV, TI, N3>(ref x, ref s, b1, ref y, batch, hp); break;
            default: Forward<T, TS, TV, TI, N4>(ref x, ref s, b1, ref y, batch, hp); break;
        }
    }

    /// <summary>The forward for I = <typeparamref name="TI"/> and O = <typeparamref name="TO"/>: constants to the JIT, so
    /// the branches on them vanish and only the registers in use exist.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // called once per step with long loops: skip tier 0 / OSR
    private static void Forward<T, TS, TV, TI, TO>(ref T x, ref T s, Bias4<T> b1, ref T y, int batch, int hp)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TS : ISimd<TV, T>
        where TV : struct
        where TI : struct, INumber
        where TO : struct, INumber
    {
        int inputs = TI.Value;
        int outputs = TO.Value;
        nint w = TS.Count;
        // Rows of the staged copy; rows past I or O alias row 0 and are never used.
        nint h = hp;
        nint t1 = inputs > 1 ? h : 0, t2 = inputs > 2 ? 2 * h : 0, t3 = inputs > 3 ? 3 * h : 0;
        nint tb = inputs * h;
        nint v0 = (inputs + 1) * h;
        nint v1 = outputs > 1 ? v0 + h : v0, v2 = outputs > 2 ? v0 + (2 * h) : v0, v3 = outputs > 3 ? v0 + (3 * h) : v0;
        int r = 0;
        if (inputs + outputs <= 6)
        {
            // Two rows per pass. Each row's sums are the same operations in the same order as in the one-row loop below
            // (same bits), but the a_o chains of two rows interleave: one row alone waits on FMA latency (13 dependent
            // FMAs per a_o for H = 100), two rows fill the FMA units, and each weight load serves both. I + O ≤ 6 keeps
            // the 2·(I + O) broadcasts and sums and 3 temporaries within AVX2's 16 registers.
            for (; r + 2 <= batch; r += 2)
            {
                ref T xa = ref Unsafe.Add(ref x, r * inputs);
                ref T xb = ref Unsafe.Add(ref xa, inputs);
                TV x0 = TS.Broadcast(xa), q0 = TS.Broadcast(xb);
                TV x1 = inputs > 1 ? TS.Broadcast(Unsafe.Add(ref xa, 1)) : TS.Zero, q1 = inputs > 1 ? TS.Broadcast(Unsafe.Add(ref xb, 1)) : TS.Zero;
                TV x2 = inputs > 2 ? TS.Broadcast(Unsafe.Add(ref xa, 2)) : TS.Zero, q2 = inputs > 2 ? TS.Broadcast(Unsafe.Add(ref xb, 2)) : TS.Zero;
                TV x3 = inputs > 3 ? TS.Broadcast(Unsafe.Add(ref xa, 3)) : TS.Zero, q3 = inputs > 3 ? TS.Broadcast(Unsafe.Add(ref xb, 3)) : TS.Zero;
                TV a0 = TS.Zero, a1 = TS.Zero, a2 = TS.Zero, a3 = TS.Zero; // row r
                TV e0 = TS.Zero, e1 = TS.Zero, e2 = TS.Zero, e3 = TS.Zero; // row r + 1
                for (nint j = 0; j < h; j += w)
                {
                    ref T p = ref Unsafe.Add(ref s, j);
                    TV wt = TS.Load(ref p);
                    TV bias = TS.Load(ref Unsafe.Add(ref p, tb));
                    TV z = TS.MultiplyAdd(x0, wt, bias), zb = TS.MultiplyAdd(q0, wt, bias);
                    if (inputs > 1)
                    {
                        wt = TS.Load(ref Unsafe.Add(ref p, t1));
                        z = TS.MultiplyAdd(x1, wt, z);
                        zb = TS.MultiplyAdd(q1, wt, zb);
                    }
                    if (inputs > 2)
                    {
                        wt = TS.Load(ref Unsafe.Add(ref p, t2));
                        z = TS.MultiplyAdd(x2, wt, z);
                        zb = TS.MultiplyAdd(q2, wt, zb);
                    }
                    if (inputs > 3)
                    {
                        wt = TS.Load(ref Unsafe.Add(ref p, t3));
                        z = TS.MultiplyAdd(x3, wt, z);
                        zb = TS.MultiplyAdd(q3, wt, zb);
                    }
                    z = TS.ReLU(z);
                    zb = TS.ReLU(zb);
                    wt = TS.Load(ref Unsafe.Add(ref p, v0));
                    a0 = TS.MultiplyAdd(z, wt, a0);
                    e0 = TS.MultiplyAdd(zb, wt, e0);
                    if (outputs > 1)
                    {
                        wt = TS.Load(ref Unsafe.Add(ref p, v1));
                        a1 = TS.MultiplyAdd(z, wt, a1);
                        e1 = TS.MultiplyAdd(zb, wt, e1);
                    }
                    if (outputs > 2)
                    {
                        wt = TS.Load(ref Unsafe.Add(ref p, v2));
                        a2 = TS.MultiplyAdd(z, wt, a2);
                        e2 = TS.MultiplyAdd(zb, wt, e2);
                    }
                    if (outputs > 3)
                    {
                        wt = TS.Load(ref Unsafe.Add(ref p, v3));
                        a3 = TS.MultiplyAdd(z, wt, a3);
                        e3 = TS.MultiplyAdd(zb, wt, e3);
                    }
                }
                ref T ya = ref Unsafe.Add(ref y, r * outputs);
                StoreOutputs<T, TS, TV>(ref ya, outputs, b1, a0, a1, a2, a3);
                StoreOutputs<T, TS, TV>(ref Unsafe.Add(ref ya, outputs), outputs, b1, e0, e1, e2, e3);
            }
        }

        for (; r < batch; r++)
        {
            ref T xr = ref Unsafe.Add(ref x, r * inputs);
            TV x0 = TS.Broadcast(xr);
            TV x1 = inputs > 1 ? TS.Broadcast(Unsafe.Add(ref xr, 1)) : TS.Zero;
            TV x2 = inputs > 2 ? TS.Broadcast(Unsafe.Add(ref xr, 2)) : TS.Zero;
            TV x3 = inputs > 3 ? TS.Broadcast(Unsafe.Add(ref xr, 3)) : TS.Zero;
            TV a0 = TS.Zero, a1 = TS.Zero, a2 = TS.Zero, a3 = TS.Zero;
            for (nint j = 0; j < h; j += w)
            {
                ref T p = ref Unsafe.Add(ref s, j);
                // z = b0 + Σ_i x_i·W0ᵀ[i]   (the order Backward repeats)
                TV z = TS.MultiplyAdd(x0, TS.Load(ref p), TS.Load(ref Unsafe.Add(ref p, tb)));
                if (inputs > 1)
                {
                    z = TS.MultiplyAdd(x1, TS.Load(ref Unsafe.Add(ref p, t1)), z);
                }
                if (inputs > 2)
                {
                    z = TS.MultiplyAdd(x2, TS.Load(ref Unsafe.Add(ref p, t2)), z);
                }
                if (inputs > 3)
                {
                    z = TS.MultiplyAdd(x3, TS.Load(ref Unsafe.Add(ref p, t3)), z);
                }
                TV hv = TS.ReLU(z);
                // a_o += h·W1[o]
                a0 = TS.MultiplyAdd(hv, TS.Load(ref Unsafe.Add(ref p, v0)), a0);
                if (outputs > 1)
                {
                    a1 = TS.MultiplyAdd(hv, TS.Load(ref Unsafe.Add(ref p, v1)), a1);
                }
                if (outputs > 2)
                {
                    a2 = TS.MultiplyAdd(hv, TS.Load(ref Unsafe.Add(ref p, v2)), a2);
                }
                if (outputs > 3)
                {
                    a3 = TS.MultiplyAdd(hv, TS.Load(ref Unsafe.Add(ref p, v3)), a3);
                }
            }
            StoreOutputs<T, TS, TV>(ref Unsafe.Add(ref y, r * outputs), outputs, b1, a0, a1, a2, a3);
        }
    }

    /// <summary>y_o = Σ lanes of a_o + c_o for the first <paramref name="outputs"/> outputs of one row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreOutputs<T, TS, TV>(ref T yr, int outputs, Bias4<T> c, TV a0, TV a1, TV a2, TV a3)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TS : ISimd<TV, T>
        where TV : struct
    {
        yr = TS.Sum(a0) + c.C0;
        if (outputs > 1)
        {
            Unsafe.Add(ref yr, 1) = TS.Sum(a1) + c.C1;
        }
        if (outputs > 2)
        {
            Unsafe.Add(ref yr, 2) = TS.Sum(a2) + c.C2;
        }
        if (outputs > 3)
        {
            Unsafe.Add(ref yr, 3) = TS.Sum(a3) + c.C3;
        }
    }

    private static void Backward<T, TS, TV, TI>(ref T dy, ref T x, ref T s, int batch, int hp, int outputs, int j0, int j1)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TS : ISimd<TV, T>
        where TV : struct
        where TI : struct, INumber
    {
        switch (outputs)
        {
            case 1: Backward<T, TS, TV, TI, N1>(ref dy, ref x, ref s, batch, hp, j0, j1); break;
            case 2: Backward<T, TS, TV, TI, N2>(ref dy, ref x, ref s, batch, hp, j0, j1); break;
            case 3: Backward<T, TS, TV, TI, N3>(ref dy, ref x, ref s, batch, hp, j0, j1); break;
            default: Backward<T, TS, TV, TI, N4>(ref dy, ref x, ref s, batch, hp, j0, j1); break;
        }
    }

    /// <summary>Hidden units [j0, j1), one register at a time, the whole batch inside: every sum of that block stays in a
    /// register. I = <typeparamref name="TI"/> and O = <typeparamref name="TO"/> are constants to the JIT.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // called once per step with long loops: skip tier 0 / OSR
    private static void Backward<T, TS, TV, TI, TO>(ref T dy, ref T x, ref T s, int batch, int hp, nint j0, nint j1)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TS : ISimd<TV, T>
        where TV : struct
        where TI : struct, INumber
        where TO : struct, INumber
    {
        int inputs = TI.Value;
        int outputs = TO.Value;
        nint w = TS.Count;
        nint h = hp;
        nint rowsStaged = inputs + 1 + outputs;
        ref T sums = ref Unsafe.Add(ref s, rowsStaged * h);
        for (nint j = j0; j < j1; j += w)
        {
            ref T p = ref Unsafe.Add(ref s, j);
            TV t0 = TS.Load(ref p);
            TV t1 = inputs > 1 ? TS.Load(ref Unsafe.Add(ref p, h)) : TS.Zero;
            TV t2 = inputs > 2 ? TS.Load(ref Unsafe.Add(ref p, 2 * h)) : TS.Zero;
            TV t3 = inputs > 3 ? TS.Load(ref Unsafe.Add(ref p, 3 * h)) : TS.Zero;
            TV bb = TS.Load(ref Unsafe.Add(ref p, inputs * h));
            ref T pv = ref Unsafe.Add(ref p, (inputs + 1) * h);
            TV u0 = TS.Load(ref pv);
            TV u1 = outputs > 1 ? TS.Load(ref Unsafe.Add(ref pv, h)) : TS.Zero;
            TV u2 = outputs > 2 ? TS.Load(ref Unsafe.Add(ref pv, 2 * h)) : TS.Zero;
            TV u3 = outputs > 3 ? TS.Load(ref Unsafe.Add(ref pv, 3 * h)) : TS.Zero;
            TV g0 = TS.Zero, g1 = TS.Zero, g2 = TS.Zero, g3 = TS.Zero; // Σ dy_o·h      → dW1[o, block]
            TV e0 = TS.Zero, e1 = TS.Zero, e2 = TS.Zero, e3 = TS.Zero; // Σ dh·x_i      → dW0[block, i]
            TV d = TS.Zero;                                            // Σ dh          → db0[block]
            ref T xr = ref x;
            ref T gr = ref dy;
            for (int r = 0; r < batch; r++)
            {
                TV x0 = TS.Broadcast(xr);
                TV x1 = inputs > 1 ? TS.Broadcast(Unsafe.Add(ref xr, 1)) : TS.Zero;
                TV x2 = inputs > 2 ? TS.Broadcast(Unsafe.Add(ref xr, 2)) : TS.Zero;
                TV x3 = inputs > 3 ? TS.Broadcast(Unsafe.Add(ref xr, 3)) : TS.Zero;

                // z and h exactly as Forward computed them
                TV z = TS.MultiplyAdd(x0, t0, bb);
                if (inputs > 1)
                {
                    z = TS.MultiplyAdd(x1, t1, z);
                }
                if (inputs > 2)
                {
                    z = TS.MultiplyAdd(x2, t2, z);
                }
                if (inputs > 3)
                {
                    z = TS.MultiplyAdd(x3, t3, z);
                }
                TV hv = TS.ReLU(z);

                // dW1 += dyᵀ·h;  dh = Σ_o dy_o·W1[o]
                TV y0 = TS.Broadcast(gr);
                g0 = TS.MultiplyAdd(y0, hv, g0);
                TV dh = TS.Multiply(y0, u0);
                if (outputs > 1)
                {
                    TV y1 = TS.Broadcast(Unsafe.Add(ref gr, 1));
                    g1 = TS.MultiplyAdd(y1, hv, g1);
                    dh = TS.MultiplyAdd(y1, u1, dh);
                }
                if (outputs > 2)
                {
                    TV y2 = TS.Broadcast(Unsafe.Add(ref gr, 2));
                    g2 = TS.MultiplyAdd(y2, hv, g2);
                    dh = TS.MultiplyAdd(y2, u2, dh);
                }
                if (outputs > 3)
                {
                    TV y3 = TS.Broadcast(Unsafe.Add(ref gr, 3));
                    g3 = TS.MultiplyAdd(y3, hv, g3);
                    dh = TS.MultiplyAdd(y3, u3, dh);
                }

                // ReLU backward, then dW0 += dhᵀ·x and db0 += Σ dh
                dh = TS.KeepWherePositive(dh, z);
                e0 = TS.MultiplyAdd(dh, x0, e0);
                if (inputs > 1)
                {
                    e1 = TS.MultiplyAdd(dh, x1, e1);
                }
                if (inputs > 2)
                {
                    e2 = TS.MultiplyAdd(dh, x2, e2);
                }
                if (inputs > 3)
                {
                    e3 = TS.MultiplyAdd(dh, x3, e3);
                }
                d = TS.Add(d, dh);
                xr = ref Unsafe.Add(ref xr, inputs);
                gr = ref Unsafe.Add(ref gr, outputs);
            }

            ref T q = ref Unsafe.Add(ref sums, j);
            StoreRows<T, TS, TV>(ref q, h, outputs, g0, g1, g2, g3);
            ref T qe = ref Unsafe.Add(ref q, outputs * h);
            StoreRows<T, TS, TV>(ref qe, h, inputs, e0, e1, e2, e3);
            TS.Store(d, ref Unsafe.Add(ref qe, inputs * h));
        }
    }

    /// <summary>The first <paramref name="count"/> of four registers at rows 0, 1, … of stride <paramref name="stride"/>
    /// (count is a JIT constant where this inlines, so the branches fold).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRows<T, TS, TV>(ref T destination, nint stride, int count, TV v0, TV v1, TV v2, TV v3)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TS : ISimd<TV, T>
        where TV : struct
    {
        TS.Store(v0, ref destination);
        if (count > 1)
        {
            TS.Store(v1, ref Unsafe.Add(ref destination, stride));
        }
        if (count > 2)
        {
            TS.Store(v2, ref Unsafe.Add(ref destination, 2 * stride));
        }
        if (count > 3)
        {
            TS.Store(v3, ref Unsafe.Add(ref destination, 3 * stride));
        }
    }

    /// <summary>A count known to the JIT: I or O as a type argument.</summary>
    private interface INumber
    {
        static abstract int Value { get; }
    }

    private readonly struct N1 : INumber
    {
        public static int Value => 1;
    }

    private readonly struct N2 : INumber
    {
        public static int Value => 2;
    }

    private readonly struct N3 : INumber
    {
        public static int Value => 3;
    }

    private readonly struct N4 : INumber
    {
        public static int Value => 4;
    }
}
