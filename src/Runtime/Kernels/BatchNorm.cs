using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace NetGen.Kernels;

/// <summary>
/// Batch normalisation, PyTorch <c>nn.BatchNorm1d</c> / <c>nn.BatchNorm2d</c> semantics, over <c>x</c> viewed as
/// <c>[B, C, S]</c>: <c>S = H·W</c> for BatchNorm2d over NCHW, <c>S = 1</c> for BatchNorm1d over <c>[B, C]</c>.
/// </summary>
/// <remarks>
/// <para>Each channel's statistics run over its <c>n = B·S</c> values. Training normalises with the biased batch
/// variance <c>σ² = Σ(x − μ)²/n</c> and moves the running variance towards the unbiased one, <c>Σ(x − μ)²/(n − 1)</c>;
/// <c>running = (1 − momentum)·running + momentum·batch</c>. Sums are taken in <see langword="double"/> whatever
/// <c>T</c> is (two passes: the mean, then the squared deviations from it), so float statistics are
/// correctly rounded for any batch a float tensor can hold; per-element results are then computed in
/// <c>T</c>.</para>
/// <para>Channels are independent: large calls split channel ranges over the cores, and every channel takes the same
/// arithmetic whichever thread runs it, so the bits do not depend on the split. Nothing is allocated.</para>
/// <para><c>gamma</c>/<c>beta</c> empty mean <c>affine=False</c> (γ = 1, β = 0). <c>momentum=None</c> (PyTorch's cumulative
/// average) and <c>track_running_stats=False</c> are not covered.</para>
/// </remarks>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public static class BatchNorm
{
    /// <summary>Calls with at least this many elements (B·C·S) split their channels over the cores.</summary>
    internal const int ParallelThreshold = 1 << 15;

    /// <summary>Channels handled together on the S = 1 path, where a channel's values are a column of [B, C]: the
    /// sums of a block live in stack buffers and each row contributes one contiguous run of the block.</summary>
    private const int Block = 64;

    /// <summary>On the S = 1 path parallel parts start at multiples of this many channels (a 64-byte line of floats),
    /// so two threads rarely write the same cache line.</summary>
    private const int ChannelAlign = 16;

    // ------------------------------------------------------------------ public entry points

    /// <summary>μ_c = Σ x/n, σ²_c = Σ (x − μ_c)²/n over n = B·S values; y = γ_c·(x − μ_c)/√(σ²_c + ε) + β_c</summary>
    /// <param name="x">Input, [batch, channels, spatial].</param>
    /// <param name="gamma">γ, [channels]; empty = 1 (affine=False).</param>
    /// <param name="beta">β, [channels]; empty = 0 (affine=False).</param>
    /// <param name="y">Output, [batch, channels, spatial] (overwritten). Must not overlap <paramref name="x"/>:
    /// <see cref="Backward"/> needs the original input.</param>
    /// <param name="mean">Cache for <see cref="Backward"/>: μ, [channels] (overwritten).</param>
    /// <param name="invStd">Cache for <see cref="Backward"/>: 1/√(σ² + ε), [channels] (overwritten).</param>
    /// <param name="runningMean">[channels], updated: (1 − momentum)·running_mean + momentum·μ.</param>
    /// <param name="runningVar">[channels], updated: (1 − momentum)·running_var + momentum·σ²·n/(n − 1).</param>
    /// <param name="batch">B.</param>
    /// <param name="channels">C.</param>
    /// <param name="spatial">S, values per channel per example (H·W; 1 for BatchNorm1d).</param>
    /// <param name="momentum">PyTorch's momentum (default 0.1).</param>
    /// <param name="epsilon">ε, added to the variance (default 1e-5).</param>
    /// <exception cref="ArgumentException">A span is too short, <paramref name="y"/> overlaps <paramref name="x"/>, or
    /// B·S &lt; 2 (PyTorch: "Expected more than 1 value per channel when training"). Nothing is written then.</exception>
    public static void ForwardTraining<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> gamma, ReadOnlySpan<T> beta, Span<T> y,
        Span<T> mean, Span<T> invStd, Span<T> runningMean, Span<T> runningVar, int batch, int channels, int spatial, T momentum, T epsilon)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int count = CheckSizes(batch, channels, spatial, x.Length, nameof(x));
        ThrowHelper.RequireLength(y.Length, count, nameof(y));
        RequireOptional(gamma.Length, channels, nameof(gamma));
        RequireOptional(beta.Length, channels, nameof(beta));
        ThrowHelper.RequireLength(mean.Length, channels, nameof(mean));
        ThrowHelper.RequireLength(invStd.Length, channels, nameof(invStd));
        ThrowHelper.RequireLength(runningMean.Length, channels, nameof(runningMean));
        ThrowHelper.RequireLength(runningVar.Length, channels, nameof(runningVar));
        x = x.Slice(0, count);
        y = y.Slice(0, count);
        if (x.Overlaps(y))
        {
            throw new ArgumentException("Batch norm's training forward must not write y over x: the backward pass needs the original input.", nameof(y));
        }
        RequireTwoValues(batch, channels, spatial);

        var args = new Arguments(batch, channels, spatial, double.CreateTruncating(momentum), double.CreateTruncating(epsilon));
        int parts = Parts(count, channels, spatial);
        if (parts > 1 && Workers.TryAcquire(out Job<T> job))
        {
            unsafe
            {
                fixed (T* px = x, pg = gamma, pb = beta, py = y, pm = mean, pi = invStd, prm = runningMean, prv = runningVar)
                {
                    job.Set(Kind.Training, args);
                    job.X = new(px, count);
                    job.Gamma = new(pg, gamma.Length);
                    job.Beta = new(pb, beta.Length);
                    job.Y = new(py, count);
                    job.Mean = new(pm, channels);
                    job.InvStd = new(pi, channels);
                    job.RunningMean = new(prm, channels);
                    job.RunningVar = new(prv, channels);
                    Workers.RunAndRelease(job, parts);
                }
            }
            return;
        }
        Training(x, gamma, beta, y, mean, invStd, runningMean, runningVar, args, 0, channels);
    }

    /// <summary>y = γ_c·(x − running_mean_c)/√(running_var_c + ε) + β_c</summary>
    /// <param name="x">Input, [batch, channels, spatial].</param>
    /// <param name="gamma">γ, [channels]; empty = 1 (affine=False).</param>
    /// <param name="beta">β, [channels]; empty = 0 (affine=False).</param>
    /// <param name="runningMean">Running mean, [channels].</param>
    /// <param name="runningVar">Running (unbiased) variance, [channels].</param>
    /// <param name="y">Output, [batch, channels, spatial] (overwritten); may be <paramref name="x"/> itself.</param>
    /// <param name="batch">B (any, including 0 and 1).</param>
    /// <param name="channels">C.</param>
    /// <param name="spatial">S.</param>
    /// <param name="epsilon">ε, added to the running variance.</param>
    public static void ForwardInference<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> gamma, ReadOnlySpan<T> beta,
        ReadOnlySpan<T> runningMean, ReadOnlySpan<T> runningVar, Span<T> y, int batch, int channels, int spatial, T epsilon)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int count = CheckSizes(batch, channels, spatial, x.Length, nameof(x));
        RequireOptional(gamma.Length, channels, nameof(gamma));
        RequireOptional(beta.Length, channels, nameof(beta));
        ThrowHelper.RequireLength(runningMean.Length, channels, nameof(runningMean));
        ThrowHelper.RequireLength(runningVar.Length, channels, nameof(runningVar));
        ThrowHelper.RequireLength(y.Length, count, nameof(y));
        x = x.Slice(0, count);
        y = y.Slice(0, count);

        var args = new Arguments(batch, channels, spatial, 0.0, double.CreateTruncating(epsilon));
        int parts = Parts(count, channels, spatial);
        if (parts > 1 && Workers.TryAcquire(out Job<T> job))
        {
            unsafe
            {
                fixed (T* px = x, pg = gamma, pb = beta, prm = runningMean, prv = runningVar, py = y)
                {
                    job.Set(Kind.Inference, args);
                    job.X = new(px, count);
                    job.Gamma = new(pg, gamma.Length);
                    job.Beta = new(pb, beta.Length);
                    job.RunningMean = new(prm, channels);
                    job.RunningVar = new(prv, channels);
                    job.Y = new(py, count);
                    Workers.RunAndRelease(job, parts);
                }
            }
            return;
        }
        Inference(x, gamma, beta, runningMean, runningVar, y, args, 0, channels);
    }

    /// <summary>x̂ = (x − μ)·invStd; dβ = Σ dy; dγ = Σ dy·x̂; dx = (γ·invStd/n)·(n·dy − Σ dy − x̂·Σ dy·x̂), sums per channel over n = B·S</summary>
    /// <param name="dy">Gradient of the output, [batch, channels, spatial].</param>
    /// <param name="x">Input of the training forward, [batch, channels, spatial].</param>
    /// <param name="gamma">γ, [channels]; empty = 1 (affine=False).</param>
    /// <param name="mean">The forward's cache μ, [channels].</param>
    /// <param name="invStd">The forward's cache 1/√(σ² + ε), [channels].</param>
    /// <param name="dx">Gradient of the input, [batch, channels, spatial] (overwritten); may be <paramref name="dy"/>
    /// or <paramref name="x"/> itself (each element is read before it is written), no other overlap.</param>
    /// <param name="dgamma">∂L/∂γ, [channels] (overwritten); empty = not computed (affine=False).</param>
    /// <param name="dbeta">∂L/∂β, [channels] (overwritten); empty = not computed (affine=False).</param>
    /// <param name="batch">B.</param>
    /// <param name="channels">C.</param>
    /// <param name="spatial">S.</param>
    /// <remarks>Evaluated as PyTorch's CPU kernel does: <c>dx = (dy − Σdy/n − (x − μ)·(Σ dy·(x − μ))·invStd²/n)·γ·invStd</c>,
    /// the two sums in double, the per-element expression in <typeparamref name="T"/>.</remarks>
    /// <exception cref="ArgumentException">A span is too short, or B·S &lt; 2 (no training forward exists for it).</exception>
    public static void Backward<T>(ReadOnlySpan<T> dy, ReadOnlySpan<T> x, ReadOnlySpan<T> gamma, ReadOnlySpan<T> mean,
        ReadOnlySpan<T> invStd, Span<T> dx, Span<T> dgamma, Span<T> dbeta, int batch, int channels, int spatial)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int count = CheckSizes(batch, channels, spatial, dy.Length, nameof(dy));
        ThrowHelper.RequireLength(x.Length, count, nameof(x));
        RequireOptional(gamma.Length, channels, nameof(gamma));
        ThrowHelper.RequireLength(mean.Length, channels, nameof(mean));
        ThrowHelper.RequireLength(invStd.Length, channels, nameof(invStd));
        ThrowHelper.RequireLength(dx.Length, count, nameof(dx));
        RequireOptional(dgamma.Length, channels, nameof(dgamma));
        RequireOptional(dbeta.Length, channels, nameof(dbeta));
        RequireTwoValues(batch, channels, spatial);
        dy = dy.Slice(0, count);
        x = x.Slice(0, count);
        dx = dx.Slice(0, count);

        var args = new Arguments(batch, channels, spatial, 0.0, 0.0);
        int parts = Parts(count, channels, spatial);
        if (parts > 1 && Workers.TryAcquire(out Job<T> job))
        {
            unsafe
            {
                fixed (T* pdy = dy, px = x, pg = gamma, pm = mean, pi = invStd, pdx = dx, pdg = dgamma, pdb = dbeta)
                {
                    job.Set(Kind.Backward, args);
                    job.Dy = new(pdy, count);
                    job.X = new(px, count);
                    job.Gamma = new(pg, gamma.Length);
                    job.Mean = new(pm, channels);
                    job.InvStd = new(pi, channels);
                    job.Dx = new(pdx, count);
                    job.DGamma = new(pdg, dgamma.Length);
                    job.DBeta = new(pdb, dbeta.Length);
                    Workers.RunAndRelease(job, parts);
                }
            }
            return;
        }
        BackwardCore(dy, x, gamma, mean, invStd, dx, dgamma, dbeta, args, 0, channels);
    }

    // ------------------------------------------------------------------ the work, for channels [c0, c1)

    private static void Training<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> gamma, ReadOnlySpan<T> beta, Span<T> y,
        Span<T> mean, Span<T> invStd, Span<T> runningMean, Span<T> runningVar, in Arguments a, int c0, int c1)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int channels = a.Channels, spatial = a.Spatial;
        double n = (double)a.Batch * spatial;
        if (spatial == 1)
        {
            // BatchNorm1d: channel c is column c of x[B, C]. A block of channels is summed row by row, each row
            // contributing one contiguous run to the block's per-channel double sums.
            Span<double> mu = stackalloc double[Block];
            Span<double> sums = stackalloc double[Block];
            Span<T> shift = stackalloc T[Block];
            Span<T> scale = stackalloc T[Block];
            Span<T> offset = stackalloc T[Block];
            for (int cb = c0; cb < c1; cb += Block)
            {
                int k = Math.Min(Block, c1 - cb);
                Span<double> m = mu.Slice(0, k), s = sums.Slice(0, k);
                s.Clear();
                for (int b = 0; b < a.Batch; b++)
                {
                    AddLanes(x.Slice((b * channels) + cb, k), s);
                }
                for (int j = 0; j < k; j++)
                {
                    m[j] = s[j] / n;
                }
                s.Clear();
                for (int b = 0; b < a.Batch; b++)
                {
                    AddSquaredDeviationLanes(x.Slice((b * channels) + cb, k), m, s);
                }
                for (int j = 0; j < k; j++)
                {
                    Statistics(cb + j, m[j], s[j], n, gamma, beta, mean, invStd, runningMean, runningVar, a,
                        out shift[j], out scale[j], out offset[j]);
                }
                for (int b = 0; b < a.Batch; b++)
                {
                    int row = (b * channels) + cb;
                    NormalizeLanes(x.Slice(row, k), shift.Slice(0, k), scale.Slice(0, k), offset.Slice(0, k), y.Slice(row, k));
                }
            }
            return;
        }

        for (int c = c0; c < c1; c++)
        {
            double sum = 0.0;
            for (int b = 0; b < a.Batch; b++)
            {
                sum += SumRun(x.Slice(((b * channels) + c) * spatial, spatial));
            }
            double mu = sum / n;
            double squares = 0.0;
            for (int b = 0; b < a.Batch; b++)
            {
                squares += SquaredDeviationRun(x.Slice(((b * channels) + c) * spatial, spatial), mu);
            }
            Statistics(c, mu, squares, n, gamma, beta, mean, invStd, runningMean, runningVar, a, out T shift, out T scale, out T offset);
            for (int b = 0; b < a.Batch; b++)
            {
                int start = ((b * channels) + c) * spatial;
                NormalizeRun(x.Slice(start, spatial), shift, scale, offset, y.Slice(start, spatial));
            }
        }
    }

    /// <summary>One channel's caches and running statistics from μ and Σ(x − μ)², and its y = (x − shift)·scale + offset.</summary>
    private static void Statistics<T>(int c, double mu, double squares, double n, ReadOnlySpan<T> gamma, ReadOnlySpan<T> beta,
        Span<T> mean, Span<T> invStd, Span<T> runningMean, Span<T> runningVar, in Arguments a, out T shift, out T scale, out T offset)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        double inv = 1.0 / Math.Sqrt((squares / n) + a.Epsilon);
        mean[c] = T.CreateTruncating(mu);
        invStd[c] = T.CreateTruncating(inv);
        runningMean[c] = T.CreateTruncating(((1.0 - a.Momentum) * double.CreateTruncating(runningMean[c])) + (a.Momentum * mu));
        runningVar[c] = T.CreateTruncating(((1.0 - a.Momentum) * double.CreateTruncating(runningVar[c])) + (a.Momentum * (squares / (n - 1.0))));
        shift = mean[c];
        scale = T.CreateTruncating(gamma.IsEmpty ? inv : double.CreateTruncating(gamma[c]) * inv);
        offset = beta.IsEmpty ? T.Zero : beta[c];
    }

    private static void Inference<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> gamma, ReadOnlySpan<T> beta,
        ReadOnlySpan<T> runningMean, ReadOnlySpan<T> runningVar, Span<T> y, in Arguments a, int c0, int c1)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int channels = a.Channels, spatial = a.Spatial;
        Span<T> shift = stackalloc T[Block];
        Span<T> scale = stackalloc T[Block];
        Span<T> offset = stackalloc T[Block];
        for (int cb = c0; cb < c1; cb += Block)
        {
            int k = Math.Min(Block, c1 - cb);
            for (int j = 0; j < k; j++)
            {
                int c = cb + j;
                double inv = 1.0 / Math.Sqrt(double.CreateTruncating(runningVar[c]) + a.Epsilon);
                shift[j] = runningMean[c];
                scale[j] = T.CreateTruncating(gamma.IsEmpty ? inv : double.CreateTruncating(gamma[c]) * inv);
                offset[j] = beta.IsEmpty ? T.Zero : beta[c];
            }
            for (int b = 0; b < a.Batch; b++)
            {
                if (spatial == 1)
                {
                    int row = (b * channels) + cb;
                    NormalizeLanes(x.Slice(row, k), shift.Slice(0, k), scale.Slice(0, k), offset.Slice(0, k), y.Slice(row, k));
                    continue;
                }
                for (int j = 0; j < k; j++)
                {
                    int start = ((b * channels) + cb + j) * spatial;
                    NormalizeRun(x.Slice(start, spatial), shift[j], scale[j], offset[j], y.Slice(start, spatial));
                }
            }
        }
    }

    private static void BackwardCore<T>(ReadOnlySpan<T> dy, ReadOnlySpan<T> x, ReadOnlySpan<T> gamma, ReadOnlySpan<T> mean,
        ReadOnlySpan<T> invStd, Span<T> dx, Span<T> dgamma, Span<T> dbeta, in Arguments a, int c0, int c1)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int channels = a.Channels, spatial = a.Spatial;
        double n = (double)a.Batch * spatial;
        Span<double> mu = stackalloc double[Block];
        Span<double> sumDy = stackalloc double[Block];
        Span<double> sumDyXmu = stackalloc double[Block];
        Span<T> shift = stackalloc T[Block];
        Span<T> gradMean = stackalloc T[Block];
        Span<T> projection = stackalloc T[Block];
        Span<T> weight = stackalloc T[Block];
        for (int cb = c0; cb < c1; cb += Block)
        {
            int k = Math.Min(Block, c1 - cb);
            Span<double> m = mu.Slice(0, k), s = sumDy.Slice(0, k), p = sumDyXmu.Slice(0, k);
            for (int j = 0; j < k; j++)
            {
                m[j] = double.CreateTruncating(mean[cb + j]);
            }

            // Σ dy and Σ dy·(x − μ) per channel, in double.
            s.Clear();
            p.Clear();
            for (int b = 0; b < a.Batch; b++)
            {
                if (spatial == 1)
                {
                    int row = (b * channels) + cb;
                    AddBackwardLanes(dy.Slice(row, k), x.Slice(row, k), m, s, p);
                    continue;
                }
                for (int j = 0; j < k; j++)
                {
                    int start = ((b * channels) + cb + j) * spatial;
                    (double sdy, double sdx) = BackwardRun(dy.Slice(start, spatial), x.Slice(start, spatial), m[j]);
                    s[j] += sdy;
                    p[j] += sdx;
                }
            }

            for (int j = 0; j < k; j++)
            {
                int c = cb + j;
                double inv = double.CreateTruncating(invStd[c]);
                double g = gamma.IsEmpty ? 1.0 : double.CreateTruncating(gamma[c]);
                if (!dgamma.IsEmpty)
                {
                    dgamma[c] = T.CreateTruncating(p[j] * inv);
                }
                if (!dbeta.IsEmpty)
                {
                    dbeta[c] = T.CreateTruncating(s[j]);
                }
                shift[j] = mean[c];
                gradMean[j] = T.CreateTruncating(s[j] / n);
                projection[j] = T.CreateTruncating(p[j] * inv * inv / n);
                weight[j] = T.CreateTruncating(g * inv);
            }

            for (int b = 0; b < a.Batch; b++)
            {
                if (spatial == 1)
                {
                    int row = (b * channels) + cb;
                    GradientLanes(dy.Slice(row, k), x.Slice(row, k), shift.Slice(0, k), gradMean.Slice(0, k), projection.Slice(0, k),
                        weight.Slice(0, k), dx.Slice(row, k));
                    continue;
                }
                for (int j = 0; j < k; j++)
                {
                    int start = ((b * channels) + cb + j) * spatial;
                    GradientRun(dy.Slice(start, spatial), x.Slice(start, spatial), shift[j], gradMean[j], projection[j], weight[j],
                        dx.Slice(start, spatial));
                }
            }
        }
    }

    // ------------------------------------------------------------------ vector loops
    //
    // "Lanes" loops work across a block of channels (S = 1): element j belongs to channel j and every element takes the
    // same scalar arithmetic in a vector lane as in the scalar tail, so a channel's bits do not depend on where its block
    // starts. "Run" loops work along one channel's S contiguous values. Sums are in double: a float register is widened
    // into two double registers (exact), and the arithmetic done on those.

    /// <summary>Whether the double-accumulating vector loops apply to <typeparamref name="T"/>.</summary>
    private static bool Wide<T>() => Vector.IsHardwareAccelerated && (typeof(T) == typeof(float) || typeof(T) == typeof(double));

    /// <summary>Elements per step of the widening loops: one float register, or two double registers.</summary>
    private static int WideStep => Vector<float>.Count;

    /// <summary>Elements [i, i + <see cref="WideStep"/>) as two registers of doubles.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void LoadWide<T>(ref T source, nint i, out Vector<double> lo, out Vector<double> hi)
    {
        if (typeof(T) == typeof(float))
        {
            Vector.Widen(Vector.LoadUnsafe(ref Unsafe.As<T, float>(ref source), (nuint)i), out lo, out hi);
        }
        else
        {
            ref double d = ref Unsafe.As<T, double>(ref source);
            lo = Vector.LoadUnsafe(ref d, (nuint)i);
            hi = Vector.LoadUnsafe(ref d, (nuint)(i + Vector<double>.Count));
        }
    }

    /// <summary>sums[j] += x[j]</summary>
    private static void AddLanes<T>(ReadOnlySpan<T> x, Span<double> sums)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ref T rx = ref MemoryMarshal.GetReference(x);
        ref double rs = ref MemoryMarshal.GetReference(sums);
        nint length = x.Length, i = 0, h = Vector<double>.Count;
        if (Wide<T>())
        {
            for (; i <= length - WideStep; i += WideStep)
            {
                LoadWide(ref rx, i, out Vector<double> lo, out Vector<double> hi);
                (Vector.LoadUnsafe(ref rs, (nuint)i) + lo).StoreUnsafe(ref rs, (nuint)i);
                (Vector.LoadUnsafe(ref rs, (nuint)(i + h)) + hi).StoreUnsafe(ref rs, (nuint)(i + h));
            }
        }
        for (; i < length; i++)
        {
            Unsafe.Add(ref rs, i) += double.CreateTruncating(Unsafe.Add(ref rx, i));
        }
    }

    /// <summary>sums[j] += (x[j] − mu[j])²</summary>
    private static void AddSquaredDeviationLanes<T>(ReadOnlySpan<T> x, ReadOnlySpan<double> mu, Span<double> sums)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ref T rx = ref MemoryMarshal.GetReference(x);
        ref double rm = ref MemoryMarshal.GetReference(mu);
        ref double rs = ref MemoryMarshal.GetReference(sums);
        nint length = x.Length, i = 0, h = Vector<double>.Count;
        if (Wide<T>())
        {
            for (; i <= length - WideStep; i += WideStep)
            {
                LoadWide(ref rx, i, out Vector<double> lo, out Vector<double> hi);
                lo -= Vector.LoadUnsafe(ref rm, (nuint)i);
                hi -= Vector.LoadUnsafe(ref rm, (nuint)(i + h));
                (Vector.LoadUnsafe(ref rs, (nuint)i) + (lo * lo)).StoreUnsafe(ref rs, (nuint)i);
                (Vector.LoadUnsafe(ref rs, (nuint)(i + h)) + (hi * hi)).StoreUnsafe(ref rs, (nuint)(i + h));
            }
        }
        for (; i < length; i++)
        {
            double d = double.CreateTruncating(Unsafe.Add(ref rx, i)) - Unsafe.Add(ref rm, i);
            Unsafe.Add(ref rs, i) += d * d;
        }
    }

    /// <summary>sumDy[j] += dy[j]; sumDyXmu[j] += dy[j]·(x[j] − mu[j])</summary>
    private static void AddBackwardLanes<T>(ReadOnlySpan<T> dy, ReadOnlySpan<T> x, ReadOnlySpan<double> mu, Span<double> sumDy, Span<double> sumDyXmu)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ref T rdy = ref MemoryMarshal.GetReference(dy);
        ref T rx = ref MemoryMarshal.GetReference(x);
        ref double rm = ref MemoryMarshal.GetReference(mu);
        ref double rs = ref MemoryMarshal.GetReference(sumDy);
        ref double rp = ref MemoryMarshal.GetReference(sumDyXmu);
        nint length = dy.Length, i = 0, h = Vector<double>.Count;
        if (Wide<T>())
        {
            for (; i <= length - WideStep; i += WideStep)
            {
                LoadWide(ref rdy, i, out Vector<double> glo, out Vector<double> ghi);
                LoadWide(ref rx, i, out Vector<double> xlo, out Vector<double> xhi);
                xlo -= Vector.LoadUnsafe(ref rm, (nuint)i);
                xhi -= Vector.LoadUnsafe(ref rm, (nuint)(i + h));
                (Vector.LoadUnsafe(ref rs, (nuint)i) + glo).StoreUnsafe(ref rs, (nuint)i);
                (Vector.LoadUnsafe(ref rs, (nuint)(i + h)) + ghi).StoreUnsafe(ref rs, (nuint)(i + h));
                (Vector.LoadUnsafe(ref rp, (nuint)i) + (glo * xlo)).StoreUnsafe(ref rp, (nuint)i);
                (Vector.LoadUnsafe(ref rp, (nuint)(i + h)) + (ghi * xhi)).StoreUnsafe(ref rp, (nuint)(i + h));
            }
        }
        for (; i < length; i++)
        {
            double g = double.CreateTruncating(Unsafe.Add(ref rdy, i));
            double d = double.CreateTruncating(Unsafe.Add(ref rx, i)) - Unsafe.Add(ref rm, i);
            Unsafe.Add(ref rs, i) += g;
            Unsafe.Add(ref rp, i) += g * d;
        }
    }

    /// <summary>Σ x, in double</summary>
    private static double SumRun<T>(ReadOnlySpan<T> x)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ref T rx = ref MemoryMarshal.GetReference(x);
        nint length = x.Length, i = 0;
        double sum = 0.0;
        if (Wide<T>() && length >= WideStep)
        {
            Vector<double> a0 = Vector<double>.Zero, a1 = Vector<double>.Zero;
            for (; i <= length - WideStep; i += WideStep)
            {
                LoadWide(ref rx, i, out Vector<double> lo, out Vector<double> hi);
                a0 += lo;
                a1 += hi;
            }
            sum = Vector.Sum(a0 + a1);
        }
        for (; i < length; i++)
        {
            sum += double.CreateTruncating(Unsafe.Add(ref rx, i));
        }
        return sum;
    }

    /// <summary>Σ (x − mu)², in double</summary>
    private static double SquaredDeviationRun<T>(ReadOnlySpan<T> x, double mu)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ref T rx = ref MemoryMarshal.GetReference(x);
        nint length = x.Length, i = 0;
        double sum = 0.0;
        if (Wide<T>() && length >= WideStep)
        {
            Vector<double> m = new(mu), a0 = Vector<double>.Zero, a1 = Vector<double>.Zero;
            for (; i <= length - WideStep; i += WideStep)
            {
                LoadWide(ref rx, i, out Vector<double> lo, out Vector<double> hi);
                lo -= m;
                hi -= m;
                a0 += lo * lo;
                a1 += hi * hi;
            }
            sum = Vector.Sum(a0 + a1);
        }
        for (; i < length; i++)
        {
            double d = double.CreateTruncating(Unsafe.Add(ref rx, i)) - mu;
            sum += d * d;
        }
        return sum;
    }

    /// <summary>(Σ dy, Σ dy·(x − mu)), in double</summary>
    private static (double SumDy, double SumDyXmu) BackwardRun<T>(ReadOnlySpan<T> dy, ReadOnlySpan<T> x, double mu)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ref T rdy = ref MemoryMarshal.GetReference(dy);
        ref T rx = ref MemoryMarshal.GetReference(x);
        nint length = dy.Length, i = 0;
        double s = 0.0, p = 0.0;
        if (Wide<T>() && length >= WideStep)
        {
            Vector<double> m = new(mu), s0 = Vector<double>.Zero, s1 = Vector<double>.Zero, p0 = Vector<double>.Zero, p1 = Vector<double>.Zero;
            for (; i <= length - WideStep; i += WideStep)
            {
                LoadWide(ref rdy, i, out Vector<double> glo, out Vector<double> ghi);
                LoadWide(ref rx, i, out Vector<double> xlo, out Vector<double> xhi);
                s0 += glo;
                s1 += ghi;
                p0 += glo * (xlo - m);
                p1 += ghi * (xhi - m);
            }
            s = Vector.Sum(s0 + s1);
            p = Vector.Sum(p0 + p1);
        }
        for (; i < length; i++)
        {
            double g = double.CreateTruncating(Unsafe.Add(ref rdy, i));
            s += g;
            p += g * (double.CreateTruncating(Unsafe.Add(ref rx, i)) - mu);
        }
        return (s, p);
    }

    /// <summary>y[j] = (x[j] − shift[j])·scale[j] + offset[j]</summary>
    private static void NormalizeLanes<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> shift, ReadOnlySpan<T> scale, ReadOnlySpan<T> offset, Span<T> y)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ref T rx = ref MemoryMarshal.GetReference(x);
        ref T rm = ref MemoryMarshal.GetReference(shift);
        ref T rs = ref MemoryMarshal.GetReference(scale);
        ref T rb = ref MemoryMarshal.GetReference(offset);
        ref T ry = ref MemoryMarshal.GetReference(y);
        nint length = x.Length, i = 0;
        if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported)
        {
            nint w = Vector<T>.Count;
            for (; i <= length - w; i += w)
            {
                Vector<T> v = (Vector.LoadUnsafe(ref rx, (nuint)i) - Vector.LoadUnsafe(ref rm, (nuint)i)) * Vector.LoadUnsafe(ref rs, (nuint)i);
                (v + Vector.LoadUnsafe(ref rb, (nuint)i)).StoreUnsafe(ref ry, (nuint)i);
            }
        }
        for (; i < length; i++)
        {
            Unsafe.Add(ref ry, i) = ((Unsafe.Add(ref rx, i) - Unsafe.Add(ref rm, i)) * Unsafe.Add(ref rs, i)) + Unsafe.Add(ref rb, i);
        }
    }

    /// <summary>y = (x − shift)·scale + offset</summary>
    private static void NormalizeRun<T>(ReadOnlySpan<T> x, T shift, T scale, T offset, Span<T> y)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ref T rx = ref MemoryMarshal.GetReference(x);
        ref T ry = ref MemoryMarshal.GetReference(y);
        nint length = x.Length, i = 0;
        if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported)
        {
            Vector<T> m = new(shift), s = new(scale), b = new(offset);
            nint w = Vector<T>.Count;
            for (; i <= length - w; i += w)
            {
                (((Vector.LoadUnsafe(ref rx, (nuint)i) - m) * s) + b).StoreUnsafe(ref ry, (nuint)i);
            }
        }
        for (; i < length; i++)
        {
            Unsafe.Add(ref ry, i) = ((Unsafe.Add(ref rx, i) - shift) * scale) + offset;
        }
    }

    /// <summary>dx[j] = ((dy[j] − gradMean[j]) − (x[j] − shift[j])·projection[j])·weight[j]</summary>
    private static void GradientLanes<T>(ReadOnlySpan<T> dy, ReadOnlySpan<T> x, ReadOnlySpan<T> shift, ReadOnlySpan<T> gradMean,
        ReadOnlySpan<T> projection, ReadOnlySpan<T> weight, Span<T> dx)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ref T rdy = ref MemoryMarshal.GetReference(dy);
        ref T rx = ref MemoryMarshal.GetReference(x);
        ref T rm = ref MemoryMarshal.GetReference(shift);
        ref T rg = ref MemoryMarshal.GetReference(gradMean);
        ref T rp = ref MemoryMarshal.GetReference(projection);
        ref T rw = ref MemoryMarshal.GetReference(weight);
        ref T rdx = ref MemoryMarshal.GetReference(dx);
        nint length = dy.Length, i = 0;
        if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported)
        {
            nint w = Vector<T>.Count;
            for (; i <= length - w; i += w)
            {
                Vector<T> centred = (Vector.LoadUnsafe(ref rx, (nuint)i) - Vector.LoadUnsafe(ref rm, (nuint)i)) * Vector.LoadUnsafe(ref rp, (nuint)i);
                Vector<T> g = (Vector.LoadUnsafe(ref rdy, (nuint)i) - Vector.LoadUnsafe(ref rg, (nuint)i)) - centred;
                (g * Vector.LoadUnsafe(ref rw, (nuint)i)).StoreUnsafe(ref rdx, (nuint)i);
            }
        }
        for (; i < length; i++)
        {
            T centred = (Unsafe.Add(ref rx, i) - Unsafe.Add(ref rm, i)) * Unsafe.Add(ref rp, i);
            Unsafe.Add(ref rdx, i) = ((Unsafe.Add(ref rdy, i) - Unsafe.Add(ref rg, i)) - centred) * Unsafe.Add(ref rw, i);
        }
    }

    /// <summary>dx = ((dy − gradMean) − (x − shift)·projection)·weight</summary>
    private static void GradientRun<T>(ReadOnlySpan<T> dy, ReadOnlySpan<T> x, T shift, T gradMean, T projection, T weight, Span<T> dx)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ref T rdy = ref MemoryMarshal.GetReference(dy);
        ref T rx = ref MemoryMarshal.GetReference(x);
        ref T rdx = ref MemoryMarshal.GetReference(dx);
        nint length = dy.Length, i = 0;
        if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported)
        {
            Vector<T> m = new(shift), g = new(gradMean), p = new(projection), w = new(weight);
            nint width = Vector<T>.Count;
            for (; i <= length - width; i += width)
            {
                Vector<T> centred = (Vector.LoadUnsafe(ref rx, (nuint)i) - m) * p;
                (((Vector.LoadUnsafe(ref rdy, (nuint)i) - g) - centred) * w).StoreUnsafe(ref rdx, (nuint)i);
            }
        }
        for (; i < length; i++)
        {
            T centred = (Unsafe.Add(ref rx, i) - shift) * projection;
            Unsafe.Add(ref rdx, i) = ((Unsafe.Add(ref rdy, i) - gradMean) - centred) * weight;
        }
    }

    // ------------------------------------------------------------------ checks and the parallel split

    /// <summary>Checks the sizes and the first tensor's length; returns B·C·S.</summary>
    private static int CheckSizes(int batch, int channels, int spatial, int length, string name)
    {
        ThrowHelper.RequireNonNegative(batch, nameof(batch));
        ThrowHelper.RequireNonNegative(channels, nameof(channels));
        ThrowHelper.RequireNonNegative(spatial, nameof(spatial));
        long perExample = (long)channels * spatial; // < 2⁶²; the product with the batch may overflow, and then no span is long enough
        long count = batch == 0 || perExample <= long.MaxValue / batch ? batch * perExample : long.MaxValue;
        ThrowHelper.RequireLength(length, count, name);
        return (int)count; // ≤ length
    }

    /// <summary>A per-channel span that may be empty (absent) or else holds at least <paramref name="channels"/> values.</summary>
    private static void RequireOptional(int length, int channels, string name)
    {
        if (length != 0)
        {
            ThrowHelper.RequireLength(length, channels, name);
        }
    }

    private static void RequireTwoValues(int batch, int channels, int spatial)
    {
        if ((long)batch * spatial < 2)
        {
            throw new ArgumentException(
                $"Expected more than 1 value per channel when training, got input size [{batch}, {channels}, {spatial}] (B·S = {(long)batch * spatial}).", "x");
        }
    }

    private static int Parts(int count, int channels, int spatial)
    {
        if (count < ParallelThreshold || channels < 2)
        {
            return 1;
        }
        int unit = spatial == 1 ? ChannelAlign : 1;
        return Workers.PartsFor(count, ParallelThreshold / 4, (channels + unit - 1) / unit);
    }

    /// <summary>The sizes and scalars of one call.</summary>
    private readonly record struct Arguments(int Batch, int Channels, int Spatial, double Momentum, double Epsilon);

    private enum Kind
    {
        Training,
        Inference,
        Backward,
    }

    /// <summary>One part of a parallel call: the channels [c0, c1) of part <c>part</c>, whole multiples of
    /// <see cref="ChannelAlign"/> on the S = 1 path.</summary>
    private sealed unsafe class Job<T> : ParallelJob
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        public Kind Kind;
        public Arguments Arguments;
        public Pointer<T> X, Y, Dy, Dx, Gamma, Beta, Mean, InvStd, RunningMean, RunningVar, DGamma, DBeta;

        public void Set(Kind kind, in Arguments arguments)
        {
            Kind = kind;
            Arguments = arguments;
            X = Y = Dy = Dx = Gamma = Beta = Mean = InvStd = RunningMean = RunningVar = DGamma = DBeta = default;
        }

        public override void Run(int part, int parts)
        {
            int channels = Arguments.Channels;
            int unit = Arguments.Spatial == 1 ? ChannelAlign : 1;
            long units = (channels + unit - 1) / unit;
            int c0 = (int)Math.Min(channels, units * part / parts * unit);
            int c1 = (int)Math.Min(channels, units * (part + 1) / parts * unit);
            switch (Kind)
            {
                case Kind.Training:
                    Training<T>(X.Span, Gamma.Span, Beta.Span, Y.Span, Mean.Span, InvStd.Span, RunningMean.Span, RunningVar.Span, Arguments, c0, c1);
                    break;
                case Kind.Inference:
                    Inference<T>(X.Span, Gamma.Span, Beta.Span, RunningMean.Span, RunningVar.Span, Y.Span, Arguments, c0, c1);
                    break;
                default:
                    BackwardCore<T>(Dy.Span, X.Span, Gamma.Span, Mean.Span, InvStd.Span, Dx.Span, DGamma.Span, DBeta.Span, Arguments, c0, c1);
                    break;
            }
        }
    }

    /// <summary>A pinned span's address and length, kept by a job while the caller's <c>fixed</c> holds it.</summary>
    private readonly unsafe struct Pointer<T>(T* address, int length)
        where T : unmanaged
    {
        public Span<T> Span => new(address, length);
    }
}
