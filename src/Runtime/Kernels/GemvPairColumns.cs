using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace NetGen.Kernels;

/// <summary>The second product of a batch-1 pair over W₁'s columns (ADR 0067).</summary>
public static partial class Gemv
{
    /// <summary>Whether <see cref="ForwardPair{T}"/> computes each half of its second product as one FMA chain per output
    /// over the columns of W₁ (ADR 0067, the default; <see cref="PairColumns"/> says for which shapes), or, off, as row dot
    /// products reduced across the register's lanes (ADR 0061). For the paired benchmark
    /// (<c>NetGen.Bench --mlp-pair-parts --ab</c>) and the tests that compare the two.</summary>
    internal static bool ColumnsInPair = true;

    /// <summary>Outputs of the second product from which a pair computes it over columns (<see cref="PairColumns"/>).</summary>
    public const int PairColumnOutputs = 64;

    /// <summary>Whether the second product of a pair with <paramref name="outputs"/> outputs runs over W₁'s columns (while
    /// <see cref="ColumnsInPair"/>): from <see cref="PairColumnOutputs"/> outputs (four 512-bit registers of float: enough
    /// independent chains to cover most of the FMA latency), else as row dot products (ADR 0061), which for a few outputs
    /// reduce few registers and keep more chains. The same rule runs at compile time (<c>CpuLowering.PairColumns</c>),
    /// for the generated comment; a test keeps the two equal.</summary>
    public static bool PairColumns(int outputs) => outputs >= PairColumnOutputs;

    /// <summary>
    /// Half <paramref name="half"/> of the second product over W₁'s columns: <c>y[o] = fma(h[r1−1], W₁[o, r1−1], … fma(h[r0],
    /// W₁[o, r0], y₀[o]))</c>, one fused multiply-add chain per output along the depth [r0, r1), from b₁ (half 0, into y) or
    /// from zero (half 1, into the partial sums).
    /// </summary>
    /// <remarks>Each output is one lane of a register and one chain of its own, so no lanes are summed across and the
    /// bits do not depend on the register width (or on which thread runs the half). From the column panels (W₁[:, k]
    /// contiguous for each k of the half, <see cref="PackColumns{T}"/>) the 128 outputs of the benchmark MLP are 8
    /// registers of 16 floats: 8 independent chains, each step one broadcast of h[k] and 8 FMAs, where the row dot
    /// products reduced 8 registers across their lanes for every 8 outputs. Without panels (the first calls after the
    /// weights change, or no pre-packed weights) the same chains run one output at a time over W₁ as stored.</remarks>
    private static unsafe void ColumnHalf<T>(in PairOperands<T> o, int half, int r0, int r1)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int outputs = o.Outputs, hidden = o.First.Outputs;
        T* y = half == 0 ? o.Y : o.Partial;
        var ys = new Span<T>(y, outputs);
        if (half == 0 && o.NextBias != null)
        {
            new ReadOnlySpan<T>(o.NextBias, outputs).CopyTo(ys);
        }
        else
        {
            ys.Clear();
        }

        T* h = o.First.Y + r0;
        int depth = r1 - r0;
        if (o.NextPanels == null)
        {
            for (int c = 0; c < outputs; c++)
            {
                T* w = o.NextW + ((nint)c * hidden) + r0;
                T acc = y[c];
                for (int k = 0; k < depth; k++)
                {
                    acc = T.FusedMultiplyAdd(h[k], w[k], acc);
                }
                y[c] = acc;
            }
            return;
        }

        T* columns = o.NextPanels + ((nint)outputs * r0);
        if (o.NextPack)
        {
            PackColumns(o.NextW, hidden, r0, r1, outputs, columns);
        }

        int done = 0;
        if (Simd512<T>.IsAccelerated)
        {
            done = ColumnChains<T, Simd512<T>, Vector512<T>>(h, depth, columns, y, outputs, done);
        }
        if (Simd256<T>.IsAccelerated)
        {
            done = ColumnChains<T, Simd256<T>, Vector256<T>>(h, depth, columns, y, outputs, done);
        }
        if (Simd128<T>.IsAccelerated)
        {
            done = ColumnChains<T, Simd128<T>, Vector128<T>>(h, depth, columns, y, outputs, done);
        }
        if (done < outputs)
        {
            ColumnTail(h, depth, columns, y, outputs, done);
        }
    }

    /// <summary>Copies the columns [k0, k1) of W [rows, stride] into <paramref name="dst"/>: column k's <paramref name="rows"/>
    /// values contiguous, at <c>(k − k0)·rows</c>.</summary>
    private static unsafe void PackColumns<T>(T* w, int stride, int k0, int k1, int rows, T* dst)
        where T : unmanaged
    {
        for (int r = 0; r < rows; r++)
        {
            T* src = w + ((nint)r * stride);
            for (int k = k0; k < k1; k++)
            {
                dst[((nint)(k - k0) * rows) + r] = src[k];
            }
        }
    }

    /// <summary>Outputs [<paramref name="from"/>, …) in whole registers of <typeparamref name="TS"/>, 8, 4 and 1 at a time:
    /// each register's lanes accumulate <c>fma(h[k], column k, ·)</c> for k in order, from y. Returns the first output not
    /// done (the rest do not fill a register).</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static unsafe int ColumnChains<T, TS, TV>(T* h, int depth, T* columns, T* y, int outputs, int from)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TS : ISimd<TV, T>
        where TV : struct
    {
        int n = TS.Count;
        int c = from;
        nint stride = outputs;
        for (; c + (8 * n) <= outputs; c += 8 * n)
        {
            ref T yc = ref Unsafe.AsRef<T>(y + c);
            TV a0 = TS.Load(ref yc), a1 = TS.Load(ref Unsafe.Add(ref yc, n)), a2 = TS.Load(ref Unsafe.Add(ref yc, 2 * n)), a3 = TS.Load(ref Unsafe.Add(ref yc, 3 * n));
            TV a4 = TS.Load(ref Unsafe.Add(ref yc, 4 * n)), a5 = TS.Load(ref Unsafe.Add(ref yc, 5 * n)), a6 = TS.Load(ref Unsafe.Add(ref yc, 6 * n)), a7 = TS.Load(ref Unsafe.Add(ref yc, 7 * n));
            ref T w = ref Unsafe.AsRef<T>(columns + c);
            for (int k = 0; k < depth; k++)
            {
                TV v = TS.Broadcast(h[k]);
                a0 = TS.MultiplyAdd(v, TS.Load(ref w), a0);
                a1 = TS.MultiplyAdd(v, TS.Load(ref Unsafe.Add(ref w, n)), a1);
                a2 = TS.MultiplyAdd(v, TS.Load(ref Unsafe.Add(ref w, 2 * n)), a2);
                a3 = TS.MultiplyAdd(v, TS.Load(ref Unsafe.Add(ref w, 3 * n)), a3);
                a4 = TS.MultiplyAdd(v, TS.Load(ref Unsafe.Add(ref w, 4 * n)), a4);
                a5 = TS.MultiplyAdd(v, TS.Load(ref Unsafe.Add(ref w, 5 * n)), a5);
                a6 = TS.MultiplyAdd(v, TS.Load(ref Unsafe.Add(ref w, 6 * n)), a6);
                a7 = TS.MultiplyAdd(v, TS.Load(ref Unsafe.Add(ref w, 7 * n)), a7);
                w = ref Unsafe.Add(ref w, stride);
            }
            TS.Store(a0, ref yc);
            TS.Store(a1, ref Unsafe.Add(ref yc, n));
            TS.Store(a2, ref Unsafe.Add(ref yc, 2 * n));
            TS.Store(a3, ref Unsafe.Add(ref yc, 3 * n));
            TS.Store(a4, ref Unsafe.Add(ref yc, 4 * n));
            TS.Store(a5, ref Unsafe.Add(ref yc, 5 * n));
            TS.Store(a6, ref Unsafe.Add(ref yc, 6 * n));
            TS.Store(a7, ref Unsafe.Add(ref yc, 7 * n));
        }
        for (; c + (4 * n) <= outputs; c += 4 * n)
        {
            ref T yc = ref Unsafe.AsRef<T>(y + c);
            TV a0 = TS.Load(ref yc), a1 = TS.Load(ref Unsafe.Add(ref yc, n)), a2 = TS.Load(ref Unsafe.Add(ref yc, 2 * n)), a3 = TS.Load(ref Unsafe.Add(ref yc, 3 * n));
            ref T w = ref Unsafe.AsRef<T>(columns + c);
            for (int k = 0; k < depth; k++)
            {
                TV v = TS.Broadcast(h[k]);
                a0 = TS.MultiplyAdd(v, TS.Load(ref w), a0);
                a1 = TS.MultiplyAdd(v, TS.Load(ref Unsafe.Add(ref w, n)), a1);
                a2 = TS.MultiplyAdd(v, TS.Load(ref Unsafe.Add(ref w, 2 * n)), a2);
                a3 = TS.MultiplyAdd(v, TS.Load(ref Unsafe.Add(ref w, 3 * n)), a3);
                w = ref Unsafe.Add(ref w, stride);
            }
            TS.Store(a0, ref yc);
            TS.Store(a1, ref Unsafe.Add(ref yc, n));
            TS.Store(a2, ref Unsafe.Add(ref yc, 2 * n));
            TS.Store(a3, ref Unsafe.Add(ref yc, 3 * n));
        }
        for (; c + n <= outputs; c += n)
        {
            ref T yc = ref Unsafe.AsRef<T>(y + c);
            TV a0 = TS.Load(ref yc);
            ref T w = ref Unsafe.AsRef<T>(columns + c);
            for (int k = 0; k < depth; k++)
            {
                a0 = TS.MultiplyAdd(TS.Broadcast(h[k]), TS.Load(ref w), a0);
                w = ref Unsafe.Add(ref w, stride);
            }
            TS.Store(a0, ref yc);
        }
        return c;
    }

    /// <summary>Outputs [<paramref name="from"/>, outputs) that fill no register, one lane each: the same fused chains, the
    /// depth outside so the chains run side by side.</summary>
    private static unsafe void ColumnTail<T>(T* h, int depth, T* columns, T* y, int outputs, int from)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        for (int k = 0; k < depth; k++)
        {
            T hk = h[k];
            T* w = columns + ((nint)k * outputs);
            for (int c = from; c < outputs; c++)
            {
                y[c] = T.FusedMultiplyAdd(hk, w[c], y[c]);
            }
        }
    }
}
