using System;
using System.Numerics;

namespace NetGen.Kernels;

/// <summary>
/// Layer normalisation (Ba, Kiros and Hinton, 2016), PyTorch <c>nn.LayerNorm(normalized_shape)</c> over the
/// <c>n = features</c> values of each row: <c>x</c> is <c>[rows, n]</c>, a row being a whole sample (any per-sample
/// shape, flattened) or one group of a sample's last dimensions when <c>normalized_shape</c> is only those (then
/// <c>batch</c> = B·groups, and γ and β of the normalised shape are shared by the groups).
/// </summary>
/// <remarks>
/// <para>Per sample: <c>μ = Σ x/n</c>, <c>σ² = Σ (x − μ)²/n</c> (biased), <c>x̂ = (x − μ)/√(σ² + ε)</c>,
/// <c>y = γ ⊙ x̂ + β</c> with γ and β of the sample's shape. The same in training and inference; nothing is tracked.
/// The sums are taken in <see langword="double"/> whatever <c>T</c> is (two passes: the mean, then the squared
/// deviations); the per-element expression is computed in <c>T</c>.</para>
/// <para>Rows are independent: large calls split rows over the cores (forward, and ∂L/∂x in the backward) and the
/// parameter gradients, sums over the batch, split features over the cores with every feature summed over the rows in
/// order, so the bits do not depend on the split. Nothing is allocated.</para>
/// <para><c>gamma</c>/<c>beta</c> empty mean <c>elementwise_affine=False</c> (γ = 1, β = 0).</para>
/// </remarks>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public static class LayerNorm
{
    /// <summary>Calls with at least this many elements (B·n) split over the cores.</summary>
    internal const int ParallelThreshold = 1 << 15;

    /// <summary>Features summed together over the rows by the parameter gradients: their double sums live on the stack.</summary>
    private const int Block = 64;

    /// <summary>μ_b = Σ x/n, σ²_b = Σ (x − μ_b)²/n per sample; y = γ ⊙ (x − μ_b)/√(σ²_b + ε) + β</summary>
    /// <param name="x">Input, [batch, features].</param>
    /// <param name="gamma">γ, [features]; empty = 1 (elementwise_affine=False).</param>
    /// <param name="beta">β, [features]; empty = 0 (elementwise_affine=False).</param>
    /// <param name="y">Output, [batch, features] (overwritten); may be <paramref name="x"/> itself when no cache is kept.</param>
    /// <param name="mean">Cache for <see cref="Backward"/>: μ, [batch] (overwritten); empty = not stored (inference).</param>
    /// <param name="invStd">Cache for <see cref="Backward"/>: 1/√(σ² + ε), [batch]; empty exactly when <paramref name="mean"/> is.</param>
    /// <param name="batch">B.</param>
    /// <param name="features">n, values per sample (≥ 1).</param>
    /// <param name="epsilon">ε, added to the variance (default 1e-5).</param>
    public static unsafe void Forward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> gamma, ReadOnlySpan<T> beta, Span<T> y,
        Span<T> mean, Span<T> invStd, int batch, int features, T epsilon)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int count = CheckSizes(batch, features, x.Length, nameof(x));
        RequireOptional(gamma.Length, features, nameof(gamma));
        RequireOptional(beta.Length, features, nameof(beta));
        ThrowHelper.RequireLength(y.Length, count, nameof(y));
        if (!mean.IsEmpty || !invStd.IsEmpty)
        {
            ThrowHelper.RequireLength(mean.Length, batch, nameof(mean));
            ThrowHelper.RequireLength(invStd.Length, batch, nameof(invStd));
        }
        if (count == 0)
        {
            return;
        }

        fixed (T* px = x, pg = gamma, pb = beta, py = y, pm = mean, pi = invStd)
        {
            var a = new Arguments<T>
            {
                Kind = Kind.Forward, Batch = batch, Features = features, Epsilon = double.CreateTruncating(epsilon),
                X = px, Gamma = gamma.IsEmpty ? null : pg, Beta = beta.IsEmpty ? null : pb, Y = py,
                Mean = mean.IsEmpty ? null : pm, InvStd = mean.IsEmpty ? null : pi,
            };
            Run(a, count, batch);
        }
    }

    /// <summary>x̂ = (x − μ)·invStd, g = dy ⊙ γ; dx = (invStd/n)·(n·g − Σ g − x̂·Σ g ⊙ x̂) per sample; dγ = Σ_B dy ⊙ x̂; dβ = Σ_B dy</summary>
    /// <param name="dy">Gradient of the output, [batch, features].</param>
    /// <param name="x">Input of the forward, [batch, features].</param>
    /// <param name="gamma">γ, [features]; empty = 1.</param>
    /// <param name="mean">The forward's cache μ, [batch].</param>
    /// <param name="invStd">The forward's cache 1/√(σ² + ε), [batch].</param>
    /// <param name="dx">Gradient of the input, [batch, features] (overwritten); may be <paramref name="dy"/> or
    /// <paramref name="x"/> itself (the parameter gradients are computed first, and each row's sums before its
    /// elements are written), no other overlap.</param>
    /// <param name="dgamma">∂L/∂γ, [features] (overwritten); empty = not computed.</param>
    /// <param name="dbeta">∂L/∂β, [features] (overwritten); empty = not computed.</param>
    /// <param name="batch">B.</param>
    /// <param name="features">n.</param>
    public static unsafe void Backward<T>(ReadOnlySpan<T> dy, ReadOnlySpan<T> x, ReadOnlySpan<T> gamma, ReadOnlySpan<T> mean,
        ReadOnlySpan<T> invStd, Span<T> dx, Span<T> dgamma, Span<T> dbeta, int batch, int features)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int count = CheckSizes(batch, features, dy.Length, nameof(dy));
        ThrowHelper.RequireLength(x.Length, count, nameof(x));
        RequireOptional(gamma.Length, features, nameof(gamma));
        ThrowHelper.RequireLength(mean.Length, batch, nameof(mean));
        ThrowHelper.RequireLength(invStd.Length, batch, nameof(invStd));
        ThrowHelper.RequireLength(dx.Length, count, nameof(dx));
        RequireOptional(dgamma.Length, features, nameof(dgamma));
        RequireOptional(dbeta.Length, features, nameof(dbeta));
        if (count == 0)
        {
            dgamma.Clear();
            dbeta.Clear();
            return;
        }

        fixed (T* pdy = dy, px = x, pg = gamma, pm = mean, pi = invStd, pdx = dx, pdg = dgamma, pdb = dbeta)
        {
            var a = new Arguments<T>
            {
                Batch = batch, Features = features, Dy = pdy, X = px, Gamma = gamma.IsEmpty ? null : pg, Mean = pm, InvStd = pi,
                Dx = pdx, DGamma = dgamma.IsEmpty ? null : pdg, DBeta = dbeta.IsEmpty ? null : pdb,
            };
            if (a.DGamma != null || a.DBeta != null)
            {
                a.Kind = Kind.ParameterGradients;
                Run(a, count, (features + Block - 1) / Block);
            }
            a.Kind = Kind.InputGradient;
            Run(a, count, batch);
        }
    }

    // ------------------------------------------------------------------ the work

    /// <summary>Rows [r0, r1): the statistics in double, then y in T.</summary>
    private static unsafe void ForwardRows<T>(in Arguments<T> a, int r0, int r1)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int n = a.Features;
        for (int b = r0; b < r1; b++)
        {
            T* x = a.X + ((nint)b * n), y = a.Y + ((nint)b * n);
            double sum = 0;
            for (int i = 0; i < n; i++)
            {
                sum += double.CreateTruncating(x[i]);
            }
            double mu = sum / n, squares = 0;
            for (int i = 0; i < n; i++)
            {
                double d = double.CreateTruncating(x[i]) - mu;
                squares += d * d;
            }
            T m = T.CreateTruncating(mu), s = T.CreateTruncating(1.0 / Math.Sqrt((squares / n) + a.Epsilon));
            if (a.Mean != null)
            {
                a.Mean[b] = m;
                a.InvStd[b] = s;
            }
            for (int i = 0; i < n; i++)
            {
                T v = (x[i] - m) * s;
                if (a.Gamma != null)
                {
                    v *= a.Gamma[i];
                }
                if (a.Beta != null)
                {
                    v += a.Beta[i];
                }
                y[i] = v;
            }
        }
    }

    /// <summary>Features [f0, f1): dγ = Σ_B dy ⊙ x̂, dβ = Σ_B dy, rows in order, sums in double.</summary>
    private static unsafe void ParameterGradients<T>(in Arguments<T> a, int f0, int f1)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int n = a.Features;
        double* dg = stackalloc double[Block];
        double* db = stackalloc double[Block];
        for (int fb = f0; fb < f1; fb += Block)
        {
            int k = Math.Min(Block, f1 - fb);
            new Span<double>(dg, k).Clear();
            new Span<double>(db, k).Clear();
            for (int b = 0; b < a.Batch; b++)
            {
                T* dy = a.Dy + ((nint)b * n) + fb, x = a.X + ((nint)b * n) + fb;
                T m = a.Mean[b], s = a.InvStd[b];
                for (int j = 0; j < k; j++)
                {
                    double g = double.CreateTruncating(dy[j]);
                    dg[j] += g * double.CreateTruncating((x[j] - m) * s);
                    db[j] += g;
                }
            }
            for (int j = 0; j < k; j++)
            {
                if (a.DGamma != null)
                {
                    a.DGamma[fb + j] = T.CreateTruncating(dg[j]);
                }
                if (a.DBeta != null)
                {
                    a.DBeta[fb + j] = T.CreateTruncating(db[j]);
                }
            }
        }
    }

    /// <summary>Rows [r0, r1): dx = (invStd/n)·(n·g − Σ g − x̂·Σ g ⊙ x̂), g = dy ⊙ γ, the sums in double.</summary>
    private static unsafe void InputGradientRows<T>(in Arguments<T> a, int r0, int r1)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int n = a.Features;
        for (int b = r0; b < r1; b++)
        {
            T* dy = a.Dy + ((nint)b * n), x = a.X + ((nint)b * n), dx = a.Dx + ((nint)b * n);
            T m = a.Mean[b], s = a.InvStd[b];
            double sumG = 0, sumGx = 0;
            for (int i = 0; i < n; i++)
            {
                T g = a.Gamma == null ? dy[i] : dy[i] * a.Gamma[i];
                sumG += double.CreateTruncating(g);
                sumGx += double.CreateTruncating(g) * double.CreateTruncating((x[i] - m) * s);
            }
            T meanG = T.CreateTruncating(sumG / n), meanGx = T.CreateTruncating(sumGx / n);
            for (int i = 0; i < n; i++)
            {
                T g = a.Gamma == null ? dy[i] : dy[i] * a.Gamma[i];
                T xhat = (x[i] - m) * s;
                dx[i] = (g - meanG - (xhat * meanGx)) * s;
            }
        }
    }

    // ------------------------------------------------------------------ checks and the parallel split

    /// <summary>Checks the sizes and the first tensor's length; returns B·n.</summary>
    private static int CheckSizes(int batch, int features, int length, string name)
    {
        ThrowHelper.RequireNonNegative(batch, nameof(batch));
        if (features < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(features), features, "'features' must be at least 1.");
        }
        long count = (long)batch * features;
        ThrowHelper.RequireLength(length, count, name);
        return (int)count; // ≤ length
    }

    /// <summary>A per-feature span that may be empty (absent) or else holds at least <paramref name="features"/> values.</summary>
    private static void RequireOptional(int length, int features, string name)
    {
        if (length != 0)
        {
            ThrowHelper.RequireLength(length, features, name);
        }
    }

    private static void Run<T>(in Arguments<T> a, int count, int units)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int parts = count >= ParallelThreshold ? Workers.PartsFor(count, ParallelThreshold / 4, units) : 1;
        if (parts > 1 && Workers.TryAcquire(out Job<T> job))
        {
            job.A = a;
            job.UnitCount = units;
            Workers.RunAndRelease(job, parts);
            return;
        }
        Units(a, 0, units);
    }

    /// <summary>Units [u0, u1) of one call: rows for the forward and ∂L/∂x, blocks of <see cref="Block"/> features for
    /// the parameter gradients.</summary>
    private static void Units<T>(in Arguments<T> a, int u0, int u1)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        switch (a.Kind)
        {
            case Kind.Forward:
                ForwardRows(a, u0, u1);
                break;
            case Kind.InputGradient:
                InputGradientRows(a, u0, u1);
                break;
            default:
                ParameterGradients(a, u0 * Block, Math.Min(a.Features, u1 * Block));
                break;
        }
    }

    private enum Kind
    {
        Forward,
        ParameterGradients,
        InputGradient,
    }

    /// <summary>Pinned operands and sizes of one call, handed to the parts; a null pointer is an absent operand.</summary>
    private unsafe struct Arguments<T>
        where T : unmanaged
    {
        public Kind Kind;
        public int Batch, Features;
        public double Epsilon;
        public T* X, Y, Dy, Dx, Gamma, Beta, Mean, InvStd, DGamma, DBeta;
    }

    /// <summary>A parallel run: each part takes whole units (rows or feature blocks).</summary>
    private sealed class Job<T> : ParallelJob
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        public Arguments<T> A;
        public int UnitCount;

        public override void Run(int part, int parts)
        {
            int start = (int)((long)UnitCount * part / parts), end = (int)((long)UnitCount * (part + 1) / parts);
            Units(A, start, end);
        }
    }
}
