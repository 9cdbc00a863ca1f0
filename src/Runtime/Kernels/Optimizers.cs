using System;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace NetGen.Kernels;

/// <summary>
/// Parameter updates with PyTorch <c>torch.optim</c> semantics (dampening 0; L2 already folded into the
/// gradient), applied to a contiguous span of parameters and its state.
/// </summary>
/// <remarks>
/// The state buffers (<c>v</c>, <c>m</c>) start at zero, which reproduces PyTorch's first step (its momentum
/// buffer starts as a copy of the gradient: μ·0 + g). Operations are evaluated in PyTorch's order.
/// </remarks>
public static class Optimizers
{
    /// <summary>p −= lr · g</summary>
    /// <param name="p">Parameters (updated).</param>
    /// <param name="g">Gradient.</param>
    /// <param name="lr">Learning rate.</param>
    public static void Sgd<T>(Span<T> p, ReadOnlySpan<T> g, T lr)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ThrowHelper.RequireSameLength(g.Length, p.Length, nameof(g));
        Update(Rule.Sgd, p, g, default, default, lr, T.Zero, T.Zero, T.Zero, T.Zero, T.Zero, T.Zero);
    }

    private static void SgdCore<T>(Span<T> p, ReadOnlySpan<T> g, T lr)
        where T : unmanaged, IBinaryFloatingPointIeee754<T> =>
        TensorPrimitives.MultiplyAdd(g, -lr, p, p);

    /// <summary>v = μ·v + g; p −= lr · v</summary>
    /// <param name="p">Parameters (updated).</param>
    /// <param name="g">Gradient.</param>
    /// <param name="v">Velocity (momentum buffer), starts at zero (updated).</param>
    /// <param name="lr">Learning rate.</param>
    /// <param name="mu">Momentum μ.</param>
    public static void Momentum<T>(Span<T> p, ReadOnlySpan<T> g, Span<T> v, T lr, T mu)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        Check(p.Length, g.Length, v.Length, nameof(v));
        Update(Rule.Momentum, p, g, default, v, lr, mu, T.Zero, T.Zero, T.Zero, T.Zero, T.Zero);
    }

    private static void MomentumCore<T>(Span<T> p, ReadOnlySpan<T> g, Span<T> v, T lr, T mu)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        T negLr = -lr;
        int i = 0;
        if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported)
        {
            Span<Vector<T>> pv = MemoryMarshal.Cast<T, Vector<T>>(p);
            ReadOnlySpan<Vector<T>> gv = MemoryMarshal.Cast<T, Vector<T>>(g);
            Span<Vector<T>> vv = MemoryMarshal.Cast<T, Vector<T>>(v);
            Vector<T> vmu = new(mu), vlr = new(negLr);
            for (int j = 0; j < pv.Length; j++)
            {
                Vector<T> velocity = (vv[j] * vmu) + gv[j];
                vv[j] = velocity;
                pv[j] += vlr * velocity;
            }
            i = pv.Length * Vector<T>.Count;
        }
        for (; i < p.Length; i++)
        {
            T velocity = (v[i] * mu) + g[i];
            v[i] = velocity;
            p[i] += negLr * velocity;
        }
    }

    /// <summary>v = μ·v + g; p −= lr · (g + μ·v)</summary>
    /// <param name="p">Parameters (updated).</param>
    /// <param name="g">Gradient.</param>
    /// <param name="v">Velocity (momentum buffer), starts at zero (updated).</param>
    /// <param name="lr">Learning rate.</param>
    /// <param name="mu">Momentum μ.</param>
    public static void Nesterov<T>(Span<T> p, ReadOnlySpan<T> g, Span<T> v, T lr, T mu)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        Check(p.Length, g.Length, v.Length, nameof(v));
        Update(Rule.Nesterov, p, g, default, v, lr, mu, T.Zero, T.Zero, T.Zero, T.Zero, T.Zero);
    }

    private static void NesterovCore<T>(Span<T> p, ReadOnlySpan<T> g, Span<T> v, T lr, T mu)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        T negLr = -lr;
        int i = 0;
        if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported)
        {
            Span<Vector<T>> pv = MemoryMarshal.Cast<T, Vector<T>>(p);
            ReadOnlySpan<Vector<T>> gv = MemoryMarshal.Cast<T, Vector<T>>(g);
            Span<Vector<T>> vv = MemoryMarshal.Cast<T, Vector<T>>(v);
            Vector<T> vmu = new(mu), vlr = new(negLr);
            for (int j = 0; j < pv.Length; j++)
            {
                Vector<T> gradient = gv[j];
                Vector<T> velocity = (vv[j] * vmu) + gradient;
                vv[j] = velocity;
                pv[j] += vlr * (gradient + (vmu * velocity));
            }
            i = pv.Length * Vector<T>.Count;
        }
        for (; i < p.Length; i++)
        {
            T gradient = g[i];
            T velocity = (v[i] * mu) + gradient;
            v[i] = velocity;
            p[i] += negLr * (gradient + (mu * velocity));
        }
    }

    /// <summary>m = β1·m + (1−β1)·g; v = β2·v + (1−β2)·g²; p −= (lr/(1−β1^t)) · m / (√v/√(1−β2^t) + ε)</summary>
    /// <param name="p">Parameters (updated).</param>
    /// <param name="g">Gradient.</param>
    /// <param name="m">First-moment estimate, starts at zero (updated).</param>
    /// <param name="v">Second-moment estimate, starts at zero (updated).</param>
    /// <param name="lr">Learning rate.</param>
    /// <param name="beta1">β1, decay of the first moment.</param>
    /// <param name="beta2">β2, decay of the second moment.</param>
    /// <param name="eps">ε, added to the bias-corrected √v.</param>
    /// <param name="step">t, the number of this step, 1-based.</param>
    public static void Adam<T>(Span<T> p, ReadOnlySpan<T> g, Span<T> m, Span<T> v, T lr, T beta1, T beta2, T eps, long step)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        Check(p.Length, g.Length, m.Length, nameof(m));
        ThrowHelper.RequireSameLength(v.Length, p.Length, nameof(v));
        if (step < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(step), step, "Adam's step counter is 1-based.");
        }

        // Scalars in double, as PyTorch computes them in Python before handing them to the tensor ops.
        double b1 = double.CreateTruncating(beta1);
        double b2 = double.CreateTruncating(beta2);
        T oneMinusB1 = T.CreateTruncating(1.0 - b1);
        T oneMinusB2 = T.CreateTruncating(1.0 - b2);
        T negStepSize = T.CreateTruncating(-(double.CreateTruncating(lr) / (1.0 - Math.Pow(b1, step))));
        T biasCorrection2Sqrt = T.CreateTruncating(Math.Sqrt(1.0 - Math.Pow(b2, step)));
        Update(Rule.Adam, p, g, m, v, beta1, beta2, oneMinusB1, oneMinusB2, negStepSize, biasCorrection2Sqrt, eps);
    }

    private static void AdamCore<T>(Span<T> p, ReadOnlySpan<T> g, Span<T> m, Span<T> v, T beta1, T beta2, T oneMinusB1, T oneMinusB2, T negStepSize, T biasCorrection2Sqrt, T eps)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported)
        {
            Span<Vector<T>> pv = MemoryMarshal.Cast<T, Vector<T>>(p);
            ReadOnlySpan<Vector<T>> gv = MemoryMarshal.Cast<T, Vector<T>>(g);
            Span<Vector<T>> mv = MemoryMarshal.Cast<T, Vector<T>>(m);
            Span<Vector<T>> vv = MemoryMarshal.Cast<T, Vector<T>>(v);
            Vector<T> vb1 = new(beta1), vb2 = new(beta2), v1b1 = new(oneMinusB1), v1b2 = new(oneMinusB2);
            Vector<T> vstep = new(negStepSize), vbc2 = new(biasCorrection2Sqrt), veps = new(eps);
            for (int j = 0; j < pv.Length; j++)
            {
                Vector<T> gradient = gv[j];
                Vector<T> m1 = (mv[j] * vb1) + (v1b1 * gradient);
                Vector<T> v1 = (vv[j] * vb2) + (v1b2 * gradient * gradient);
                mv[j] = m1;
                vv[j] = v1;
                Vector<T> denom = (Vector.SquareRoot(v1) / vbc2) + veps;
                pv[j] += vstep * m1 / denom;
            }
            i = pv.Length * Vector<T>.Count;
        }
        for (; i < p.Length; i++)
        {
            T gradient = g[i];
            T m1 = (m[i] * beta1) + (oneMinusB1 * gradient);
            T v1 = (v[i] * beta2) + (oneMinusB2 * gradient * gradient);
            m[i] = m1;
            v[i] = v1;
            T denom = (T.Sqrt(v1) / biasCorrection2Sqrt) + eps;
            p[i] += negStepSize * m1 / denom;
        }
    }

    /// <summary>s = s + g²; p −= lr · g / (√s + ε)   (PyTorch <c>Adagrad</c> with lr_decay 0 and initial accumulator 0)</summary>
    /// <param name="p">Parameters (updated).</param>
    /// <param name="g">Gradient.</param>
    /// <param name="sum">Sum of squared gradients (PyTorch's <c>sum</c>), starts at zero (updated).</param>
    /// <param name="lr">Learning rate.</param>
    /// <param name="eps">ε, added to √s.</param>
    public static void AdaGrad<T>(Span<T> p, ReadOnlySpan<T> g, Span<T> sum, T lr, T eps)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        Check(p.Length, g.Length, sum.Length, nameof(sum));
        Update(Rule.AdaGrad, p, g, default, sum, lr, eps, T.Zero, T.Zero, T.Zero, T.Zero, T.Zero);
    }

    private static void AdaGradCore<T>(Span<T> p, ReadOnlySpan<T> g, Span<T> sum, T lr, T eps)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        T negLr = -lr;
        int i = 0;
        if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported)
        {
            Span<Vector<T>> pv = MemoryMarshal.Cast<T, Vector<T>>(p);
            ReadOnlySpan<Vector<T>> gv = MemoryMarshal.Cast<T, Vector<T>>(g);
            Span<Vector<T>> sv = MemoryMarshal.Cast<T, Vector<T>>(sum);
            Vector<T> vlr = new(negLr), veps = new(eps);
            for (int j = 0; j < pv.Length; j++)
            {
                Vector<T> gradient = gv[j];
                Vector<T> s1 = sv[j] + (gradient * gradient);
                sv[j] = s1;
                pv[j] += vlr * (gradient / (Vector.SquareRoot(s1) + veps)); // PyTorch: p.addcdiv_(g, √s + ε, value=−lr)
            }
            i = pv.Length * Vector<T>.Count;
        }
        for (; i < p.Length; i++)
        {
            T gradient = g[i];
            T s1 = sum[i] + (gradient * gradient);
            sum[i] = s1;
            p[i] += negLr * (gradient / (T.Sqrt(s1) + eps));
        }
    }

    /// <summary>a = α·a + (1−α)·g²; p −= lr · g / (√a + ε)   (PyTorch <c>RMSprop</c>, not centered, momentum 0)</summary>
    /// <param name="p">Parameters (updated).</param>
    /// <param name="g">Gradient.</param>
    /// <param name="squareAvg">Running average of squared gradients (PyTorch's <c>square_avg</c>), starts at zero (updated).</param>
    /// <param name="lr">Learning rate.</param>
    /// <param name="alpha">α, the smoothing constant (the CS231n notes' decay_rate).</param>
    /// <param name="eps">ε, added to √a.</param>
    public static void RmsProp<T>(Span<T> p, ReadOnlySpan<T> g, Span<T> squareAvg, T lr, T alpha, T eps)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        Check(p.Length, g.Length, squareAvg.Length, nameof(squareAvg));
        // 1 − α in double, as PyTorch computes it in Python before handing it to the tensor op.
        T oneMinusAlpha = T.CreateTruncating(1.0 - double.CreateTruncating(alpha));
        Update(Rule.RmsProp, p, g, default, squareAvg, lr, alpha, oneMinusAlpha, eps, T.Zero, T.Zero, T.Zero);
    }

    private static void RmsPropCore<T>(Span<T> p, ReadOnlySpan<T> g, Span<T> squareAvg, T lr, T alpha, T oneMinusAlpha, T eps)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        T negLr = -lr;
        int i = 0;
        if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported)
        {
            Span<Vector<T>> pv = MemoryMarshal.Cast<T, Vector<T>>(p);
            ReadOnlySpan<Vector<T>> gv = MemoryMarshal.Cast<T, Vector<T>>(g);
            Span<Vector<T>> av = MemoryMarshal.Cast<T, Vector<T>>(squareAvg);
            Vector<T> vlr = new(negLr), valpha = new(alpha), v1a = new(oneMinusAlpha), veps = new(eps);
            for (int j = 0; j < pv.Length; j++)
            {
                Vector<T> gradient = gv[j];
                Vector<T> a1 = (av[j] * valpha) + (v1a * gradient * gradient);
                av[j] = a1;
                pv[j] += vlr * (gradient / (Vector.SquareRoot(a1) + veps)); // PyTorch: p.addcdiv_(g, √a + ε, value=−lr)
            }
            i = pv.Length * Vector<T>.Count;
        }
        for (; i < p.Length; i++)
        {
            T gradient = g[i];
            T a1 = (squareAvg[i] * alpha) + (oneMinusAlpha * gradient * gradient);
            squareAvg[i] = a1;
            p[i] += negLr * (gradient / (T.Sqrt(a1) + eps));
        }
    }

    /// <summary>Arenas from this many elements are updated on every core: each part a contiguous range starting at a
    /// multiple of 64 elements. The update is element-wise and every element takes the same (vector or scalar) path as in
    /// a one-thread run, so the bits do not depend on the split.</summary>
    internal const int ParallelThreshold = 1 << 16;

    private enum Rule
    {
        Sgd,
        Momentum,
        Nesterov,
        Adam,
        AdaGrad,
        RmsProp,
    }

    private static unsafe void Update<T>(Rule rule, Span<T> p, ReadOnlySpan<T> g, Span<T> m, Span<T> v, T a0, T a1, T a2, T a3, T a4, T a5, T a6)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int parts = p.Length >= ParallelThreshold ? Workers.PartsFor(p.Length, ParallelThreshold / 4, (p.Length + 63L) / 64) : 1;
        if (parts > 1 && Workers.TryAcquire(out UpdateJob<T> job))
        {
            fixed (T* pp = p)
            fixed (T* pg = g)
            fixed (T* pm = m)
            fixed (T* pv = v)
            {
                job.Rule = rule;
                job.P = pp;
                job.G = pg;
                job.M = m.IsEmpty ? null : pm;
                job.V = v.IsEmpty ? null : pv;
                job.Length = p.Length;
                (job.A0, job.A1, job.A2, job.A3, job.A4, job.A5, job.A6) = (a0, a1, a2, a3, a4, a5, a6);
                Workers.RunAndRelease(job, parts);
            }
            return;
        }
        Apply(rule, p, g, m, v, a0, a1, a2, a3, a4, a5, a6);
    }

    private static void Apply<T>(Rule rule, Span<T> p, ReadOnlySpan<T> g, Span<T> m, Span<T> v, T a0, T a1, T a2, T a3, T a4, T a5, T a6)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        switch (rule)
        {
            case Rule.Sgd: SgdCore(p, g, a0); break;
            case Rule.Momentum: MomentumCore(p, g, v, a0, a1); break;
            case Rule.Nesterov: NesterovCore(p, g, v, a0, a1); break;
            case Rule.AdaGrad: AdaGradCore(p, g, v, a0, a1); break;
            case Rule.RmsProp: RmsPropCore(p, g, v, a0, a1, a2, a3); break;
            default: AdamCore(p, g, m, v, a0, a1, a2, a3, a4, a5, a6); break;
        }
    }

    /// <summary>One part of a parallel update: elements [start, end) of every array.</summary>
    private sealed unsafe class UpdateJob<T> : ParallelJob
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        public Rule Rule;
        public T* P, G, M, V;
        public int Length;
        public T A0, A1, A2, A3, A4, A5, A6;

        public override void Run(int part, int parts)
        {
            long blocks = (Length + 63L) / 64; // long: an arena near Array.MaxLength would overflow int here
            int start = (int)Math.Min(Length, blocks * part / parts * 64);
            int end = (int)Math.Min(Length, blocks * (part + 1) / parts * 64);
            int n = end - start;
            Span<T> Slice(T* a) => a == null ? default : new Span<T>(a + start, n);
            Apply(Rule, Slice(P), Slice(G), Slice(M), Slice(V), A0, A1, A2, A3, A4, A5, A6);
        }
    }

    private static void Check(int p, int g, int state, string stateName)
    {
        ThrowHelper.RequireSameLength(g, p, "g");
        ThrowHelper.RequireSameLength(state, p, stateName);
    }
}
