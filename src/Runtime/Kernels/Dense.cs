using System;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NetGen.Kernels;

/// <summary>
/// Fully-connected layer, PyTorch <c>nn.Linear</c> layout: <c>W</c> is <c>[outputs, inputs]</c>.
/// </summary>
/// <remarks>B = batch rows, I = inputs, O = outputs; every tensor is row-major.</remarks>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public static class Dense
{
    /// <summary>y[B,O] = x[B,I] · W[O,I]ᵀ + b[O], then max(0, ·) when <paramref name="fuseReLU"/></summary>
    /// <param name="x">Input, [batch, inputs].</param>
    /// <param name="w">Weight, [outputs, inputs].</param>
    /// <param name="bias">Bias, [outputs]; empty = no bias.</param>
    /// <param name="y">Output, [batch, outputs] (overwritten).</param>
    /// <param name="batch">B.</param>
    /// <param name="inputs">I.</param>
    /// <param name="outputs">O.</param>
    /// <param name="mode">GEMM kernel (the generator's per-layer choice); <see cref="GemmMode.Auto"/> = <see cref="Gemm.Choose"/>.</param>
    /// <param name="fuseReLU">Apply ReLU as y is stored (the Dense + ReLU pair in one pass).</param>
    /// <param name="packed">Pre-packed Wᵀ of this layer, used when the packed kernel runs (repacked first if not current);
    /// null = pack inside the GEMM. Ignored by the direct kernel (fewer than 6 rows, or <see cref="GemmMode.Direct"/>).</param>
    /// <param name="rowMode">The kernel of a one-row call (batch 1, a one-sample Predict): <see cref="Gemv"/> on this thread
    /// or split over the cores (the generator's per-layer choice); <see cref="GemvMode.Auto"/> = <see cref="Gemv.Choose"/>.</param>
    public static void Forward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> w, ReadOnlySpan<T> bias, Span<T> y, int batch, int inputs, int outputs, GemmMode mode = GemmMode.Auto, bool fuseReLU = false, PackedWeights<T>? packed = null, GemvMode rowMode = GemvMode.Auto)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (packed is not null && (packed.Inputs != inputs || packed.Outputs != outputs))
        {
            throw new ArgumentException($"Packed weights are for {packed.Inputs} inputs and {packed.Outputs} outputs, not {inputs} and {outputs}.", nameof(packed));
        }
        ThrowHelper.RequireNonNegative(batch, nameof(batch));
        ThrowHelper.RequireNonNegative(inputs, nameof(inputs));
        ThrowHelper.RequireNonNegative(outputs, nameof(outputs));
        ThrowHelper.RequireLength(x.Length, (long)batch * inputs, nameof(x));
        ThrowHelper.RequireLength(w.Length, (long)outputs * inputs, nameof(w));
        ThrowHelper.RequireLength(y.Length, (long)batch * outputs, nameof(y));
        if (!bias.IsEmpty)
        {
            ThrowHelper.RequireSameLength(bias.Length, outputs, nameof(bias));
        }
        if (batch == 0 || outputs == 0)
        {
            return;
        }

        if (batch == 1 && inputs > SmallInputs)
        {
            // One row: a matrix-vector product over W as stored, 8 rows at a time (docs/adr/0034).
            Gemv.Forward(x.Slice(0, inputs), w.Slice(0, outputs * inputs), bias, y.Slice(0, outputs), inputs, outputs, fuseReLU, rowMode, packed);
            return;
        }

        mode = Gemm.Resolve(mode, batch, outputs, inputs);
        if (mode != GemmMode.Direct && DenseNarrow.Serves(batch, outputs, fuseReLU, packed))
        {
            // At most 16 outputs (a classifier head) from current pre-packed weights: one register of columns, 12 rows
            // per panel, rows over the cores; the packed GEMM's bits (docs/adr/0053).
            DenseNarrow.Forward(MemoryMarshal.Cast<T, float>(x), Unsafe.As<PackedWeights<float>>(packed!), MemoryMarshal.Cast<T, float>(bias), MemoryMarshal.Cast<T, float>(y), batch, inputs, outputs);
            return;
        }
        if (mode != GemmMode.Direct)
        {
            // B(p, j) = W[j, p]: the packed kernel transposes W as it packs; bias and ReLU ride in its epilogue.
            Gemm.Packed(x, inputs, 1, w, 1, inputs, y, batch, outputs, inputs, false, bias, fuseReLU, mode, packed);
            return;
        }

        if (inputs is > 0 and <= SmallInputs && (long)inputs * outputs <= SmallTransposed)
        {
            SmallInputForward(x, w, bias, y.Slice(0, batch * outputs), batch, inputs, outputs, fuseReLU);
            return;
        }

        if (bias.IsEmpty)
        {
            Gemm.MatMulNT(x, w, y, batch, outputs, inputs, accumulate: false, GemmMode.Direct);
        }
        else
        {
            // Start every row of y at b, then accumulate x·Wᵀ on top: one pass over y fewer than adding b after.
            for (int r = 0; r < batch; r++)
            {
                bias.CopyTo(y.Slice(r * outputs, outputs));
            }
            Gemm.MatMulNT(x, w, y, batch, outputs, inputs, accumulate: true, GemmMode.Direct);
        }
        if (fuseReLU)
        {
            Span<T> all = y.Slice(0, batch * outputs);
            TensorPrimitives.Max(all, T.Zero, all);
        }
    }

    /// <summary>On AVX-512, dW = dyᵀ·x of the packed GEMM reads dyᵀ in place from a transposed copy of dy (made once per
    /// call, on the caller's thread) instead of packing dyᵀ into 6-row panels in every part: the full panels then go
    /// through the 8-row kernel (ADR 0062; 16 accumulators, B loaded once per 16 FMAs instead of 12) and no part packs
    /// A. Every element is the same FMA chain over the batch and the same epilogue: the same bits (ADR 0066). A switch so
    /// <c>NetGen.Bench --fcadam-ab</c> and the tests run both in one process.</summary>
    internal static bool WeightGradientOnEightRows { get; set; } = true;

    /// <summary>Inputs up to which the forward uses the outer-product form (2-D points, 3-channel colours…).</summary>
    private const int SmallInputs = 4;

    /// <summary>Largest Wᵀ the outer-product form copies to the stack.</summary>
    private const int SmallTransposed = 4096;

    /// <summary>y[r, :] = b + Σ_p x[r, p] · Wᵀ[p, :], vectorised along the outputs: for I ≤ 4 a dot product along I
    /// would not fill a register, so each output row is built from I broadcasts instead.</summary>
    [SkipLocalsInit]
    private static void SmallInputForward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> w, ReadOnlySpan<T> bias, Span<T> y, int batch, int inputs, int outputs, bool relu)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        Span<T> wt = stackalloc T[inputs * outputs];
        for (int o = 0; o < outputs; o++)
        {
            for (int p = 0; p < inputs; p++)
            {
                wt[(p * outputs) + o] = w[(o * inputs) + p];
            }
        }

        ref T rx = ref MemoryMarshal.GetReference(x);
        ref T rwt = ref MemoryMarshal.GetReference(wt);
        ref T rb = ref MemoryMarshal.GetReference(bias);
        ref T ry = ref MemoryMarshal.GetReference(y);
        bool hasBias = !bias.IsEmpty;
        int done = 0;
        if (Simd512<T>.IsAccelerated)
        {
            done = SmallInputForward<T, Simd512<T>, Vector512<T>>(ref rx, ref rwt, ref rb, hasBias, ref ry, batch, inputs, outputs, 0, relu);
        }
        else if (Simd256<T>.IsAccelerated)
        {
            done = SmallInputForward<T, Simd256<T>, Vector256<T>>(ref rx, ref rwt, ref rb, hasBias, ref ry, batch, inputs, outputs, 0, relu);
        }
        else if (Simd128<T>.IsAccelerated)
        {
            done = SmallInputForward<T, Simd128<T>, Vector128<T>>(ref rx, ref rwt, ref rb, hasBias, ref ry, batch, inputs, outputs, 0, relu);
        }
        SmallInputForward<T, Scalar<T>, T>(ref rx, ref rwt, ref rb, hasBias, ref ry, batch, inputs, outputs, done, relu);
    }

    /// <summary>Outputs [oStart, returned) of every row: as many as fill whole registers of <typeparamref name="TS"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // called once per step with long loops: skip tier 0 / OSR
    private static int SmallInputForward<T, TS, TV>(ref T x, ref T wt, ref T bias, bool hasBias, ref T y, int batch, int inputs, int outputs, int oStart, bool relu)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TS : ISimd<TV, T>
        where TV : struct
    {
        int w = TS.Count;
        int oEnd = oStart + ((outputs - oStart) / w * w);
        // Rows p of Wᵀ; the ones past I are never read (their broadcasts stay unused).
        ref T w0 = ref wt;
        ref T w1 = ref Unsafe.Add(ref wt, inputs > 1 ? outputs : 0);
        ref T w2 = ref Unsafe.Add(ref wt, inputs > 2 ? 2 * outputs : 0);
        ref T w3 = ref Unsafe.Add(ref wt, inputs > 3 ? 3 * outputs : 0);
        for (int r = 0; r < batch; r++)
        {
            ref T xr = ref Unsafe.Add(ref x, r * inputs);
            TV x0 = TS.Broadcast(xr);
            TV x1 = inputs > 1 ? TS.Broadcast(Unsafe.Add(ref xr, 1)) : TS.Zero;
            TV x2 = inputs > 2 ? TS.Broadcast(Unsafe.Add(ref xr, 2)) : TS.Zero;
            TV x3 = inputs > 3 ? TS.Broadcast(Unsafe.Add(ref xr, 3)) : TS.Zero;
            ref T yr = ref Unsafe.Add(ref y, r * outputs);
            for (int o = oStart; o < oEnd; o += w)
            {
                TV acc = hasBias ? TS.Load(ref Unsafe.Add(ref bias, o)) : TS.Zero;
                acc = TS.MultiplyAdd(x0, TS.Load(ref Unsafe.Add(ref w0, o)), acc);
                if (inputs > 1)
                {
                    acc = TS.MultiplyAdd(x1, TS.Load(ref Unsafe.Add(ref w1, o)), acc);
                }
                if (inputs > 2)
                {
                    acc = TS.MultiplyAdd(x2, TS.Load(ref Unsafe.Add(ref w2, o)), acc);
                }
                if (inputs > 3)
                {
                    acc = TS.MultiplyAdd(x3, TS.Load(ref Unsafe.Add(ref w3, o)), acc);
                }
                TS.Store(relu ? TS.Max(acc, TS.Zero) : acc, ref Unsafe.Add(ref yr, o));
            }
        }
        return oEnd;
    }

    /// <summary>dx[B,I] = dy · W (overwrites); dW[O,I] (+)= dyᵀ · x; db[O] (+)= Σ_B dy</summary>
    /// <param name="dy">Gradient of the output, [batch, outputs].</param>
    /// <param name="x">Input saved by the forward pass, [batch, inputs].</param>
    /// <param name="w">Weight, [outputs, inputs].</param>
    /// <param name="dx">Gradient of the input, [batch, inputs] (overwritten); empty = skip (first layer).</param>
    /// <param name="dw">Gradient of the weight, [outputs, inputs] (accumulated, or overwritten: see <paramref name="accumulate"/>).</param>
    /// <param name="dbias">Gradient of the bias, [outputs] (likewise); empty = skip.</param>
    /// <param name="batch">B.</param>
    /// <param name="inputs">I.</param>
    /// <param name="outputs">O.</param>
    /// <param name="dxMode">GEMM kernel for dy·W.</param>
    /// <param name="dwMode">GEMM kernel for dyᵀ·x.</param>
    /// <param name="accumulate">Add to <paramref name="dw"/> and <paramref name="dbias"/> (true) or overwrite them (false:
    /// what a generated network uses, each parameter gradient having one writer, so it never clears them first and the
    /// GEMM never reads them).</param>
    /// <param name="finite">Null, or the step's non-finite check: it records whether every value written to
    /// <paramref name="dw"/> and <paramref name="dbias"/> is finite, in the packed GEMM's epilogue (dW, values in registers)
    /// or by a read of what was just written, still in this core's cache (dW of the direct kernel, db). Then no later read
    /// of these two tensors is needed (ADR 0040).</param>
    public static void Backward<T>(ReadOnlySpan<T> dy, ReadOnlySpan<T> x, ReadOnlySpan<T> w, Span<T> dx, Span<T> dw, Span<T> dbias, int batch, int inputs, int outputs, GemmMode dxMode = GemmMode.Auto, GemmMode dwMode = GemmMode.Auto, bool accumulate = true, FiniteCheck? finite = null)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        finite = FiniteCheck.Active(finite);
        ThrowHelper.RequireNonNegative(batch, nameof(batch));
        ThrowHelper.RequireNonNegative(inputs, nameof(inputs));
        ThrowHelper.RequireNonNegative(outputs, nameof(outputs));
        ThrowHelper.RequireLength(dy.Length, (long)batch * outputs, nameof(dy));
        ThrowHelper.RequireLength(x.Length, (long)batch * inputs, nameof(x));
        ThrowHelper.RequireLength(w.Length, (long)outputs * inputs, nameof(w));
        ThrowHelper.RequireLength(dw.Length, (long)outputs * inputs, nameof(dw));
        if (!dx.IsEmpty)
        {
            ThrowHelper.RequireLength(dx.Length, (long)batch * inputs, nameof(dx));
        }
        if (!dbias.IsEmpty)
        {
            ThrowHelper.RequireSameLength(dbias.Length, outputs, nameof(dbias));
        }

        // dx = dy[B,O] · W[O,I]
        if (!dx.IsEmpty)
        {
            Gemm.MatMulNN(dy, w, dx, batch, inputs, outputs, accumulate: false, dxMode);
        }

        dwMode = Gemm.Resolve(dwMode, outputs, inputs, batch);
        if (dwMode == GemmMode.Direct && batch > 0 && inputs > 0 && outputs > 0 && (inputs <= SmallInputs || outputs <= SmallInputs))
        {
            if (!accumulate)
            {
                dw.Slice(0, outputs * inputs).Clear();
                dbias.Clear();
            }

            // dW += dyᵀ·x and db += Σ dy in one pass over the batch, vectorised along the long side.
            if (inputs <= SmallInputs)
            {
                SmallInputWeightGradient(dy, x, dw, dbias, batch, inputs, outputs);
            }
            else
            {
                SmallOutputWeightGradient(dy, x, dw, dbias, batch, inputs, outputs);
            }

            finite?.Observe<T>(dw.Slice(0, outputs * inputs));
            finite?.Observe<T>(dbias);
            return;
        }

        // dW (+)= dy[B,O]ᵀ · x[B,I]
        if (TransposesDy<T>(dwMode, batch, inputs, outputs))
        {
            // A = dyᵀ read in place (one row of `batch` values per output) from a copy transposed here: 8-row panels, no packing of A.
            Span<float> dyT = TransposedDy(MemoryMarshal.Cast<T, float>(dy), batch, outputs);
            Gemm.Packed(MemoryMarshal.Cast<float, T>(dyT), batch, 1, x, inputs, 1, dw, outputs, inputs, batch, accumulate, default, false, dwMode, null, finite);
        }
        else
        {
            Gemm.MatMulTN(dy, x, dw, outputs, inputs, batch, accumulate, dwMode, finite);
        }

        // db (+)= Σ over rows of dy
        if (!dbias.IsEmpty)
        {
            if (!accumulate)
            {
                dbias.Clear();
            }

            for (int r = 0; r < batch; r++)
            {
                TensorPrimitives.Add(dbias, dy.Slice(r * outputs, outputs), dbias);
            }

            finite?.Observe<T>(dbias);
        }
    }

    /// <summary>Whether dW's packed GEMM runs on a transposed copy of dy (<see cref="WeightGradientOnEightRows"/>): float on
    /// AVX-512 with the 8-row panels on, a packed mode, at least two 8-row panels of outputs (a classifier head's
    /// 10 outputs gain nothing: one panel and an edge either way) and at least 8 samples.</summary>
    private static bool TransposesDy<T>(GemmMode dwMode, int batch, int inputs, int outputs)
        where T : unmanaged, IBinaryFloatingPointIeee754<T> =>
        WeightGradientOnEightRows && typeof(T) == typeof(float) && dwMode != GemmMode.Direct
        && Simd512<float>.IsAccelerated && Avx.IsSupported && PackedGemm.EightRowPanels
        && outputs >= 2 * PackedGemm.MR8 && batch >= 8 && inputs > 0;

    [ThreadStatic]
    private static float[]? t_transposedDy;

    /// <summary>dyᵀ [outputs, batch] of dy [batch, outputs], in this thread's buffer (grown once, then reused: no allocation
    /// per step), through the packed GEMM's 8×8 register transposes.</summary>
    private static unsafe Span<float> TransposedDy(ReadOnlySpan<float> dy, int batch, int outputs)
    {
        int length = batch * outputs;
        float[] buffer = ThreadBuffer.Ensure(ref t_transposedDy, length);
        fixed (float* src = dy)
        {
            // d[p·nr + c] = src[c·ld + p] with p = output, c = sample: dyᵀ[o, b] = dy[b, o].
            PackedGemm.PackTransposedAvx(src, outputs, outputs, batch, batch, ref MemoryMarshal.GetArrayDataReference(buffer));
        }
        return buffer.AsSpan(0, length);
    }

    /// <summary>I ≤ 4: dW[o, i] += Σ_b dy[b, o]·x[b, i] and db[o] += Σ_b dy[b, o] in one pass over dy, vectorised along
    /// the outputs: per two registers of outputs, 2·(I + 1) accumulators stay in registers for the whole batch.</summary>
    private static void SmallInputWeightGradient<T>(ReadOnlySpan<T> dy, ReadOnlySpan<T> x, Span<T> dw, Span<T> dbias, int batch, int inputs, int outputs)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ref T rdy = ref MemoryMarshal.GetReference(dy);
        ref T rx = ref MemoryMarshal.GetReference(x);
        ref T rdw = ref MemoryMarshal.GetReference(dw);
        ref T rdb = ref MemoryMarshal.GetReference(dbias);
        bool hasBias = !dbias.IsEmpty;
        int done = 0;
        if (Simd512<T>.IsAccelerated)
        {
            done = SmallInputWeightGradient<T, Simd512<T>, Vector512<T>>(ref rdy, ref rx, ref rdw, ref rdb, hasBias, batch, inputs, outputs, 0);
        }
        else if (Simd256<T>.IsAccelerated)
        {
            done = SmallInputWeightGradient<T, Simd256<T>, Vector256<T>>(ref rdy, ref rx, ref rdw, ref rdb, hasBias, batch, inputs, outputs, 0);
        }
        else if (Simd128<T>.IsAccelerated)
        {
            done = SmallInputWeightGradient<T, Simd128<T>, Vector128<T>>(ref rdy, ref rx, ref rdw, ref rdb, hasBias, batch, inputs, outputs, 0);
        }
        SmallInputWeightGradient<T, Scalar<T>, T>(ref rdy, ref rx, ref rdw, ref rdb, hasBias, batch, inputs, outputs, done);
    }

    /// <summary>Outputs [oStart, returned): whole pairs of registers (and then single registers) of <typeparamref name="TS"/>.</summary>
    [SkipLocalsInit]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // called once per step with long loops: skip tier 0 / OSR
    private static unsafe int SmallInputWeightGradient<T, TS, TV>(ref T dy, ref T x, ref T dw, ref T db, bool hasBias, int batch, int inputs, int outputs, int oStart)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TS : ISimd<TV, T>
        where TV : struct
    {
        int w = TS.Count;
        T* lanes = stackalloc T[SmallInputs * w]; // one register of lanes per input, for the scatter into dW
        int o = oStart;
        for (; o + w <= outputs; o += w)
        {
            // a_i: Σ dy·x_i for inputs i = 0..3 (unused ones stay zero), s: Σ dy. Two batch rows per step, in two sets
            // of accumulators, so twice as many independent FMA chains.
            TV a0 = TS.Zero, a1 = TS.Zero, a2 = TS.Zero, a3 = TS.Zero, s = TS.Zero;
            TV e0 = TS.Zero, e1 = TS.Zero, e2 = TS.Zero, e3 = TS.Zero, t = TS.Zero;
            int b = 0;
            for (; b + 2 <= batch; b += 2)
            {
                TV v = TS.Load(ref Unsafe.Add(ref dy, (b * outputs) + o));
                TV u = TS.Load(ref Unsafe.Add(ref dy, ((b + 1) * outputs) + o));
                ref T xb = ref Unsafe.Add(ref x, b * inputs);
                ref T xc = ref Unsafe.Add(ref xb, inputs);
                s = TS.Add(s, v);
                t = TS.Add(t, u);
                a0 = TS.MultiplyAdd(TS.Broadcast(xb), v, a0);
                e0 = TS.MultiplyAdd(TS.Broadcast(xc), u, e0);
                if (inputs > 1)
                {
                    a1 = TS.MultiplyAdd(TS.Broadcast(Unsafe.Add(ref xb, 1)), v, a1);
                    e1 = TS.MultiplyAdd(TS.Broadcast(Unsafe.Add(ref xc, 1)), u, e1);
                }
                if (inputs > 2)
                {
                    a2 = TS.MultiplyAdd(TS.Broadcast(Unsafe.Add(ref xb, 2)), v, a2);
                    e2 = TS.MultiplyAdd(TS.Broadcast(Unsafe.Add(ref xc, 2)), u, e2);
                }
                if (inputs > 3)
                {
                    a3 = TS.MultiplyAdd(TS.Broadcast(Unsafe.Add(ref xb, 3)), v, a3);
                    e3 = TS.MultiplyAdd(TS.Broadcast(Unsafe.Add(ref xc, 3)), u, e3);
                }
            }
            if (b < batch)
            {
                TV v = TS.Load(ref Unsafe.Add(ref dy, (b * outputs) + o));
                ref T xb = ref Unsafe.Add(ref x, b * inputs);
                s = TS.Add(s, v);
                a0 = TS.MultiplyAdd(TS.Broadcast(xb), v, a0);
                a1 = inputs > 1 ? TS.MultiplyAdd(TS.Broadcast(Unsafe.Add(ref xb, 1)), v, a1) : a1;
                a2 = inputs > 2 ? TS.MultiplyAdd(TS.Broadcast(Unsafe.Add(ref xb, 2)), v, a2) : a2;
                a3 = inputs > 3 ? TS.MultiplyAdd(TS.Broadcast(Unsafe.Add(ref xb, 3)), v, a3) : a3;
            }

            // dW is [O, I]: lane l of a_i belongs at dw[(o + l)·I + i].
            ref T tile = ref Unsafe.AsRef<T>(lanes);
            TS.Store(TS.Add(a0, e0), ref tile);
            TS.Store(TS.Add(a1, e1), ref Unsafe.Add(ref tile, w));
            TS.Store(TS.Add(a2, e2), ref Unsafe.Add(ref tile, 2 * w));
            TS.Store(TS.Add(a3, e3), ref Unsafe.Add(ref tile, 3 * w));
            for (int l = 0; l < w; l++)
            {
                for (int i = 0; i < inputs; i++)
                {
                    Unsafe.Add(ref dw, ((o + l) * inputs) + i) += Unsafe.Add(ref tile, (i * w) + l);
                }
            }
            if (hasBias)
            {
                ref T dbo = ref Unsafe.Add(ref db, o);
                TS.Store(TS.Add(TS.Load(ref dbo), TS.Add(s, t)), ref dbo);
            }
        }
        return o;
    }

    /// <summary>O ≤ 4: dW[o, :] += Σ_b dy[b, o]·x[b, :], vectorised along the inputs with O accumulators per register
    /// (each load of x feeds O multiply-adds); db[o] += Σ_b dy[b, o] alongside.</summary>
    private static void SmallOutputWeightGradient<T>(ReadOnlySpan<T> dy, ReadOnlySpan<T> x, Span<T> dw, Span<T> dbias, int batch, int inputs, int outputs)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ref T rdy = ref MemoryMarshal.GetReference(dy);
        ref T rx = ref MemoryMarshal.GetReference(x);
        ref T rdw = ref MemoryMarshal.GetReference(dw);
        int done = 0;
        if (Simd512<T>.IsAccelerated)
        {
            done = SmallOutputWeightGradient<T, Simd512<T>, Vector512<T>>(ref rdy, ref rx, ref rdw, batch, inputs, outputs, 0);
        }
        else if (Simd256<T>.IsAccelerated)
        {
            done = SmallOutputWeightGradient<T, Simd256<T>, Vector256<T>>(ref rdy, ref rx, ref rdw, batch, inputs, outputs, 0);
        }
        else if (Simd128<T>.IsAccelerated)
        {
            done = SmallOutputWeightGradient<T, Simd128<T>, Vector128<T>>(ref rdy, ref rx, ref rdw, batch, inputs, outputs, 0);
        }
        SmallOutputWeightGradient<T, Scalar<T>, T>(ref rdy, ref rx, ref rdw, batch, inputs, outputs, done);

        if (!dbias.IsEmpty)
        {
            for (int o = 0; o < outputs; o++)
            {
                T sum = T.Zero;
                for (int b = 0; b < batch; b++)
                {
                    sum += Unsafe.Add(ref rdy, (b * outputs) + o);
                }
                dbias[o] += sum;
            }
        }
    }

    /// <summary>Inputs [iStart, returned): whole registers of <typeparamref name="TS"/>, two at a time where they fit.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // called once per step with long loops: skip tier 0 / OSR
    private static int SmallOutputWeightGradient<T, TS, TV>(ref T dy, ref T x, ref T dw, int batch, int inputs, int outputs, int iStart)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TS : ISimd<TV, T>
        where TV : struct
    {
        int w = TS.Count;
        int i = iStart;
        for (; i + w <= inputs; i += w)
        {
            // c_o: Σ_b dy[b, o]·x[b, i..i+w] for outputs o = 0..3 (unused ones stay zero); two batch rows per step.
            TV c0 = TS.Zero, c1 = TS.Zero, c2 = TS.Zero, c3 = TS.Zero;
            TV d0 = TS.Zero, d1 = TS.Zero, d2 = TS.Zero, d3 = TS.Zero;
            int b = 0;
            for (; b + 2 <= batch; b += 2)
            {
                TV v = TS.Load(ref Unsafe.Add(ref x, (b * inputs) + i));
                TV u = TS.Load(ref Unsafe.Add(ref x, ((b + 1) * inputs) + i));
                ref T g = ref Unsafe.Add(ref dy, b * outputs);
                ref T h = ref Unsafe.Add(ref g, outputs);
                c0 = TS.MultiplyAdd(TS.Broadcast(g), v, c0);
                d0 = TS.MultiplyAdd(TS.Broadcast(h), u, d0);
                if (outputs > 1)
                {
                    c1 = TS.MultiplyAdd(TS.Broadcast(Unsafe.Add(ref g, 1)), v, c1);
                    d1 = TS.MultiplyAdd(TS.Broadcast(Unsafe.Add(ref h, 1)), u, d1);
                }
                if (outputs > 2)
                {
                    c2 = TS.MultiplyAdd(TS.Broadcast(Unsafe.Add(ref g, 2)), v, c2);
                    d2 = TS.MultiplyAdd(TS.Broadcast(Unsafe.Add(ref h, 2)), u, d2);
                }
                if (outputs > 3)
                {
                    c3 = TS.MultiplyAdd(TS.Broadcast(Unsafe.Add(ref g, 3)), v, c3);
                    d3 = TS.MultiplyAdd(TS.Broadcast(Unsafe.Add(ref h, 3)), u, d3);
                }
            }
            if (b < batch)
            {
                TV v = TS.Load(ref Unsafe.Add(ref x, (b * inputs) + i));
                ref T g = ref Unsafe.Add(ref dy, b * outputs);
                c0 = TS.MultiplyAdd(TS.Broadcast(g), v, c0);
                c1 = outputs > 1 ? TS.MultiplyAdd(TS.Broadcast(Unsafe.Add(ref g, 1)), v, c1) : c1;
                c2 = outputs > 2 ? TS.MultiplyAdd(TS.Broadcast(Unsafe.Add(ref g, 2)), v, c2) : c2;
                c3 = outputs > 3 ? TS.MultiplyAdd(TS.Broadcast(Unsafe.Add(ref g, 3)), v, c3) : c3;
            }

            AddRow<T, TS, TV>(ref Unsafe.Add(ref dw, i), TS.Add(c0, d0));
            if (outputs > 1)
            {
                AddRow<T, TS, TV>(ref Unsafe.Add(ref dw, inputs + i), TS.Add(c1, d1));
            }
            if (outputs > 2)
            {
                AddRow<T, TS, TV>(ref Unsafe.Add(ref dw, (2 * inputs) + i), TS.Add(c2, d2));
            }
            if (outputs > 3)
            {
                AddRow<T, TS, TV>(ref Unsafe.Add(ref dw, (3 * inputs) + i), TS.Add(c3, d3));
            }
        }
        return i;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddRow<T, TS, TV>(ref T destination, TV value)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TS : ISimd<TV, T>
        where TV : struct =>
        TS.Store(TS.Add(TS.Load(ref destination), value), ref destination);
}
