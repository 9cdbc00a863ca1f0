using System;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NetGen.Kernels;

/// <summary>
/// Parameter updates with PyTorch <c>torch.optim</c> semantics (dampening 0; L2 already folded into the
/// gradient), applied to a contiguous span of parameters and its state.
/// </summary>
/// <remarks>
/// The state buffers (<c>v</c>, <c>m</c>) start at zero, which reproduces PyTorch's first step (its momentum
/// buffer starts as a copy of the gradient: μ·0 + g). Operations are evaluated in PyTorch's order.
/// </remarks>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
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
        Update(Rule.Sgd, p, g, default, default, new Coefficients<T>(lr));
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
        Update(Rule.Momentum, p, g, default, v, new Coefficients<T>(-lr, mu));
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
        Update(Rule.Nesterov, p, g, default, v, new Coefficients<T>(-lr, mu));
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
        Adam(Rule.Adam, p, g, m, v, default, lr, beta1, beta2, eps, step);
    }

    private static void Adam<T>(Rule rule, Span<T> p, ReadOnlySpan<T> g, Span<T> m, Span<T> v, Span<T> vMax, T lr, T beta1, T beta2, T eps, long step)
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
        Update(rule, p, g, m, v, new Coefficients<T>(beta1, beta2, oneMinusB1, oneMinusB2, negStepSize, biasCorrection2Sqrt, eps), vMax);
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
        Update(Rule.AdaGrad, p, g, default, sum, new Coefficients<T>(-lr, eps));
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
        Update(Rule.RmsProp, p, g, default, squareAvg, new Coefficients<T>(-lr, alpha, oneMinusAlpha, eps));
    }

    /// <summary>
    /// a = α·a + (1−α)·g²; [centered: ḡ = α·ḡ + (1−α)·g; a' = a − ḡ²]; d = √a' + ε; [momentum: b = μ·b + g/d; p −= lr·b]
    /// else p −= lr · g / d   (PyTorch <c>RMSprop</c> with <c>momentum</c> and <c>centered</c>)
    /// </summary>
    /// <param name="p">Parameters (updated).</param>
    /// <param name="g">Gradient.</param>
    /// <param name="squareAvg">Running average of squared gradients (PyTorch's <c>square_avg</c>), starts at zero (updated).</param>
    /// <param name="momentumBuffer">PyTorch's <c>momentum_buffer</c>, starts at zero (updated); empty for no momentum (then
    /// <paramref name="momentum"/> must be 0).</param>
    /// <param name="gradAvg">Running average of gradients (PyTorch's <c>grad_avg</c>), starts at zero (updated); empty when not
    /// centered.</param>
    /// <param name="lr">Learning rate.</param>
    /// <param name="alpha">α, the smoothing constant.</param>
    /// <param name="eps">ε, added to the square root.</param>
    /// <param name="momentum">μ, the momentum of <paramref name="momentumBuffer"/>.</param>
    public static void RmsProp<T>(Span<T> p, ReadOnlySpan<T> g, Span<T> squareAvg, Span<T> momentumBuffer, Span<T> gradAvg, T lr, T alpha, T eps, T momentum)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        Check(p.Length, g.Length, squareAvg.Length, nameof(squareAvg));
        if (!momentumBuffer.IsEmpty)
        {
            ThrowHelper.RequireSameLength(momentumBuffer.Length, p.Length, nameof(momentumBuffer));
        }
        else if (momentum != T.Zero)
        {
            throw new ArgumentException($"RMSProp with momentum {momentum} needs a momentum buffer as long as the parameters; it is empty.", nameof(momentumBuffer));
        }

        if (!gradAvg.IsEmpty)
        {
            ThrowHelper.RequireSameLength(gradAvg.Length, p.Length, nameof(gradAvg));
        }

        T oneMinusAlpha = T.CreateTruncating(1.0 - double.CreateTruncating(alpha));
        var c = new Coefficients<T>(-lr, alpha, oneMinusAlpha, eps, momentum, -T.One);
        Rule rule = (momentumBuffer.IsEmpty, gradAvg.IsEmpty) switch
        {
            (true, true) => Rule.RmsProp,
            (false, true) => Rule.RmsPropMomentum,
            (true, false) => Rule.RmsPropCentered,
            _ => Rule.RmsPropCenteredMomentum,
        };
        Update(rule, p, g, momentumBuffer, squareAvg, c, gradAvg);
    }

    /// <summary>m = β1·m + (1−β1)·g; v = β2·v + (1−β2)·g²; v̂ = max(v̂, v); p −= (lr/(1−β1^t)) · m / (√v̂/√(1−β2^t) + ε)
    /// (PyTorch <c>Adam</c> and <c>AdamW</c> with <c>amsgrad=True</c>; AdamW's decay is <see cref="DecoupledWeightDecay"/>)</summary>
    /// <param name="p">Parameters (updated).</param>
    /// <param name="g">Gradient.</param>
    /// <param name="m">First-moment estimate, starts at zero (updated).</param>
    /// <param name="v">Second-moment estimate, starts at zero (updated).</param>
    /// <param name="vMax">The largest second-moment estimate so far (PyTorch's <c>max_exp_avg_sq</c>), starts at zero (updated).</param>
    /// <param name="lr">Learning rate.</param>
    /// <param name="beta1">β1, decay of the first moment.</param>
    /// <param name="beta2">β2, decay of the second moment.</param>
    /// <param name="eps">ε, added to the bias-corrected √v̂.</param>
    /// <param name="step">t, the number of this step, 1-based.</param>
    public static void AmsGrad<T>(Span<T> p, ReadOnlySpan<T> g, Span<T> m, Span<T> v, Span<T> vMax, T lr, T beta1, T beta2, T eps, long step)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ThrowHelper.RequireSameLength(vMax.Length, p.Length, nameof(vMax));
        Adam(Rule.AmsGrad, p, g, m, v, vMax, lr, beta1, beta2, eps, step);
    }

    /// <summary>p ← p·(1 − lr·λ), the decoupled weight decay of AdamW (Loshchilov and Hutter, 2019), applied before the Adam
    /// step as PyTorch's <c>AdamW</c> does.</summary>
    /// <param name="p">Parameters (updated).</param>
    /// <param name="lr">Learning rate.</param>
    /// <param name="lambda">λ, the decoupled weight decay.</param>
    public static void DecoupledWeightDecay<T>(Span<T> p, double lr, double lambda)
        where T : unmanaged, IBinaryFloatingPointIeee754<T> =>
        // 1 − lr·λ in double, as PyTorch computes it in Python before param.mul_.
        TensorPrimitives.Multiply(p, T.CreateTruncating(1.0 - (lr * lambda)), p);

    /// <summary>
    /// s = ρ·s + (1−ρ)·g²; d = √(u + ε) / √(s + ε) · g; u = ρ·u + (1−ρ)·d²; p −= lr · d   (PyTorch <c>Adadelta</c>; Zeiler,
    /// 2012, whose method has lr = 1)
    /// </summary>
    /// <param name="p">Parameters (updated).</param>
    /// <param name="g">Gradient.</param>
    /// <param name="squareAvg">Running average of squared gradients (PyTorch's <c>square_avg</c>), starts at zero (updated).</param>
    /// <param name="accDelta">Running average of squared updates (PyTorch's <c>acc_delta</c>), starts at zero (updated).</param>
    /// <param name="lr">Learning rate (a factor on the update; 1 in the paper).</param>
    /// <param name="rho">ρ, the decay of both averages.</param>
    /// <param name="eps">ε, inside both square roots.</param>
    public static void AdaDelta<T>(Span<T> p, ReadOnlySpan<T> g, Span<T> squareAvg, Span<T> accDelta, T lr, T rho, T eps)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        Check(p.Length, g.Length, squareAvg.Length, nameof(squareAvg));
        ThrowHelper.RequireSameLength(accDelta.Length, p.Length, nameof(accDelta));
        T oneMinusRho = T.CreateTruncating(1.0 - double.CreateTruncating(rho));
        Update(Rule.AdaDelta, p, g, accDelta, squareAvg, new Coefficients<T>(-lr, rho, oneMinusRho, eps));
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
        RmsPropMomentum,
        RmsPropCentered,
        RmsPropCenteredMomentum,
        AmsGrad,
        AdaDelta,
    }

    /// <summary>One rule over the arena, on one core or many. The state arrays m, v and w belong to the rule (empty when
    /// it keeps fewer).</summary>
    private static unsafe void Update<T>(Rule rule, Span<T> p, ReadOnlySpan<T> g, Span<T> m, Span<T> v, in Coefficients<T> c, Span<T> w = default)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int parts = p.Length >= ParallelThreshold ? Workers.PartsFor(p.Length, ParallelThreshold / 4, (p.Length + 63L) / 64) : 1;
        if (parts > 1 && Workers.TryAcquire(out UpdateJob<T> job))
        {
            fixed (T* pp = p)
            fixed (T* pg = g)
            fixed (T* pm = m)
            fixed (T* pv = v)
            fixed (T* pw = w)
            {
                job.Rule = rule;
                job.P = pp;
                job.G = pg;
                job.M = m.IsEmpty ? null : pm;
                job.V = v.IsEmpty ? null : pv;
                job.W = w.IsEmpty ? null : pw;
                job.Length = p.Length;
                job.C = c;
                Workers.RunAndRelease(job, parts);
            }
            return;
        }
        Apply(rule, p, g, m, v, w, c);
    }

    private static void Apply<T>(Rule rule, Span<T> p, ReadOnlySpan<T> g, Span<T> m, Span<T> v, Span<T> w, in Coefficients<T> c)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        switch (rule)
        {
            case Rule.Sgd: SgdCore(p, g, c.A0); break;
            // A rule keeps its one state in v, its second in m, its third in w; an unused one is handed v and never touched.
            case Rule.Momentum: Run<T, MomentumRule>(p, g, v, v, v, c); break;
            case Rule.Nesterov: Run<T, NesterovRule>(p, g, v, v, v, c); break;
            case Rule.AdaGrad: Run<T, AdaGradRule>(p, g, v, v, v, c); break;
            case Rule.RmsProp: Run<T, RmsPropRule>(p, g, v, v, v, c); break;
            case Rule.RmsPropMomentum: Run<T, RmsPropMomentumRule>(p, g, m, v, v, c); break;
            case Rule.RmsPropCentered: Run<T, RmsPropCenteredRule>(p, g, v, v, w, c); break;
            case Rule.RmsPropCenteredMomentum: Run<T, RmsPropCenteredMomentumRule>(p, g, m, v, w, c); break;
            case Rule.AmsGrad: Run<T, AmsGradRule>(p, g, m, v, w, c); break;
            case Rule.AdaDelta: Run<T, AdaDeltaRule>(p, g, m, v, v, c); break;
            default: Run<T, AdamRule>(p, g, m, v, v, c); break;
        }
    }

    /// <summary>Applies <typeparamref name="TRule"/> to every element: whole registers of the widest accelerated width,
    /// then the tail one element at a time. Both go through the same <see cref="Step"/>, so every element gets the
    /// same operations in the same order wherever it falls (and on whichever core).</summary>
    private static void Run<T, TRule>(Span<T> p, ReadOnlySpan<T> g, Span<T> m, Span<T> v, Span<T> w, in Coefficients<T> c)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TRule : struct
    {
        ref T rp = ref MemoryMarshal.GetReference(p);
        ref T rg = ref MemoryMarshal.GetReference(g);
        ref T rm = ref MemoryMarshal.GetReference(m);
        ref T rv = ref MemoryMarshal.GetReference(v);
        ref T rw = ref MemoryMarshal.GetReference(w);
        int done = 0;
        if (Simd512<T>.IsAccelerated)
        {
            done = Run<T, TRule, Simd512<T>, Vector512<T>>(ref rp, ref rg, ref rm, ref rv, ref rw, 0, p.Length, c);
        }
        else if (Simd256<T>.IsAccelerated)
        {
            done = Run<T, TRule, Simd256<T>, Vector256<T>>(ref rp, ref rg, ref rm, ref rv, ref rw, 0, p.Length, c);
        }
        else if (Simd128<T>.IsAccelerated)
        {
            done = Run<T, TRule, Simd128<T>, Vector128<T>>(ref rp, ref rg, ref rm, ref rv, ref rw, 0, p.Length, c);
        }
        Run<T, TRule, Scalar<T>, T>(ref rp, ref rg, ref rm, ref rv, ref rw, done, p.Length, c);
    }

    /// <summary>Elements [start, returned) of [start, length): as many as fill whole registers of <typeparamref name="TS"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // called once per step with a long loop: skip tier 0 / OSR
    private static int Run<T, TRule, TS, TV>(ref T p, ref T g, ref T m, ref T v, ref T w, int start, int length, in Coefficients<T> c)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TRule : struct
        where TS : ISimd<TV, T>
        where TV : struct
    {
        // Broadcast once, outside the loop; a rule's unused coefficients are dead code after inlining.
        var cv = new Coefficients<TV>(TS.Broadcast(c.A0), TS.Broadcast(c.A1), TS.Broadcast(c.A2), TS.Broadcast(c.A3),
            TS.Broadcast(c.A4), TS.Broadcast(c.A5), TS.Broadcast(c.A6));
        nint i = start;
        if (PrefetchAhead && typeof(TV) != typeof(T) && Sse.IsSupported)
        {
            // Each array's line PrefetchBytes ahead is asked for while this register is updated: the update streams
            // four to five arrays that the rest of the step has pushed out of this core's caches, and the hardware
            // prefetchers alone leave it waiting on them (ADR 0066). A hint: the bits do not change. It stops where the
            // line ahead would lie past the arrays, so every reference stays inside them; the rest runs as before.
            nint ahead = PrefetchBytes / Unsafe.SizeOf<T>();
            for (; i <= length - ahead - TS.Count; i += TS.Count)
            {
                nint j = i + ahead;
                Prefetch(ref Unsafe.Add(ref p, j));
                Prefetch(ref Unsafe.Add(ref g, j));
                Prefetch(ref Unsafe.Add(ref v, j));
                if (UsesM<TRule>())
                {
                    Prefetch(ref Unsafe.Add(ref m, j));
                }
                if (UsesW<TRule>())
                {
                    Prefetch(ref Unsafe.Add(ref w, j));
                }
                Step<T, TRule, TS, TV>(ref Unsafe.Add(ref p, i), ref Unsafe.Add(ref g, i), ref Unsafe.Add(ref m, i), ref Unsafe.Add(ref v, i), ref Unsafe.Add(ref w, i), cv);
            }
        }
        for (; i <= length - TS.Count; i += TS.Count)
        {
            Step<T, TRule, TS, TV>(ref Unsafe.Add(ref p, i), ref Unsafe.Add(ref g, i), ref Unsafe.Add(ref m, i), ref Unsafe.Add(ref v, i), ref Unsafe.Add(ref w, i), cv);
        }
        return (int)i;
    }

    /// <summary>Whether the vector loop of an update prefetches each array <see cref="PrefetchBytes"/> ahead (ADR 0066);
    /// the bits are the same either way. A switch so <c>NetGen.Bench --fcadam-ab</c> and the tests run both in one
    /// process.</summary>
    internal static bool PrefetchAhead { get; set; } = true;

    /// <summary>How far ahead <see cref="PrefetchAhead"/> asks: 1 KiB (16 lines per array). Paired in the LeNet step on one
    /// thread, 1 KiB and 2 KiB gained alike (ADR 0066).</summary>
    internal const int PrefetchBytes = 1024;

    /// <summary>A hint: never faults, never changes a value.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Prefetch<T>(ref T at) => Sse.Prefetch0(Unsafe.AsPointer(ref at));

    /// <summary>Whether rule <typeparamref name="TRule"/> keeps a state in m (else the m it is handed is v).</summary>
    private static bool UsesM<TRule>() =>
        typeof(TRule) == typeof(AdamRule) || typeof(TRule) == typeof(AmsGradRule) || typeof(TRule) == typeof(AdaDeltaRule)
        || typeof(TRule) == typeof(RmsPropMomentumRule) || typeof(TRule) == typeof(RmsPropCenteredMomentumRule);

    /// <summary>Whether rule <typeparamref name="TRule"/> keeps a third state in w.</summary>
    private static bool UsesW<TRule>() =>
        typeof(TRule) == typeof(AmsGradRule) || typeof(TRule) == typeof(RmsPropCenteredRule) || typeof(TRule) == typeof(RmsPropCenteredMomentumRule);

    /// <summary>A rule's constants (what each one is belongs to the rule; unused ones zero), as scalars or broadcast to
    /// registers.</summary>
    private readonly struct Coefficients<TV>(TV a0, TV a1 = default, TV a2 = default, TV a3 = default, TV a4 = default, TV a5 = default, TV a6 = default)
        where TV : struct
    {
        public readonly TV A0 = a0, A1 = a1, A2 = a2, A3 = a3, A4 = a4, A5 = a5, A6 = a6;
    }

    /// <summary>One element (or, with a vector <typeparamref name="TS"/>, one register of elements) of rule
    /// <typeparamref name="TRule"/>, in place. Written once over <see cref="ISimd{TVec, T}"/> for the vector body and the
    /// scalar tail alike; only multiplications, additions, divisions and square roots, each rounded (never fused), in
    /// PyTorch's order. The rule is a type argument, so the JIT keeps only its branch.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Step<T, TRule, TS, TV>(ref T p, ref T g, ref T m, ref T v, ref T w, in Coefficients<TV> c)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TRule : struct
        where TS : ISimd<TV, T>
        where TV : struct
    {
        TV gradient = TS.Load(ref g);
        TV update;
        if (typeof(TRule) == typeof(MomentumRule))
        {
            // v = μ·v + g; p += (−lr)·v.   A0 = −lr, A1 = μ.
            TV velocity = TS.Add(TS.Multiply(TS.Load(ref v), c.A1), gradient);
            TS.Store(velocity, ref v);
            update = TS.Multiply(c.A0, velocity);
        }
        else if (typeof(TRule) == typeof(NesterovRule))
        {
            // v = μ·v + g; p += (−lr)·(g + μ·v).   A0 = −lr, A1 = μ.
            TV velocity = TS.Add(TS.Multiply(TS.Load(ref v), c.A1), gradient);
            TS.Store(velocity, ref v);
            update = TS.Multiply(c.A0, TS.Add(gradient, TS.Multiply(c.A1, velocity)));
        }
        else if (typeof(TRule) == typeof(AdaGradRule))
        {
            // s = s + g·g; p += (−lr)·(g / (√s + ε)), PyTorch's p.addcdiv_(g, √s + ε, value=−lr).   A0 = −lr, A1 = ε.
            TV sum = TS.Add(TS.Load(ref v), TS.Multiply(gradient, gradient));
            TS.Store(sum, ref v);
            update = TS.Multiply(c.A0, TS.Divide(gradient, TS.Add(TS.Sqrt(sum), c.A1)));
        }
        else if (typeof(TRule) == typeof(RmsPropRule))
        {
            // a = α·a + (1−α)·g·g; p += (−lr)·(g / (√a + ε)), as AdaGrad.   A0 = −lr, A1 = α, A2 = 1−α, A3 = ε.
            TV average = TS.Add(TS.Multiply(TS.Load(ref v), c.A1), TS.Multiply(TS.Multiply(c.A2, gradient), gradient));
            TS.Store(average, ref v);
            update = TS.Multiply(c.A0, TS.Divide(gradient, TS.Add(TS.Sqrt(average), c.A3)));
        }
        else if (typeof(TRule) == typeof(RmsPropMomentumRule) || typeof(TRule) == typeof(RmsPropCenteredRule) || typeof(TRule) == typeof(RmsPropCenteredMomentumRule))
        {
            // a = α·a + (1−α)·g·g (v); centered: ḡ = α·ḡ + (1−α)·g (w), d = √(a + (−1)·ḡ·ḡ) + ε, else d = √a + ε;
            // momentum: b = μ·b + g/d (m), p += (−lr)·b; else p += (−lr)·(g/d).   A0 = −lr, A1 = α, A2 = 1−α, A3 = ε, A4 = μ, A5 = −1.
            TV average = TS.Add(TS.Multiply(TS.Load(ref v), c.A1), TS.Multiply(TS.Multiply(c.A2, gradient), gradient));
            TS.Store(average, ref v);
            if (typeof(TRule) != typeof(RmsPropMomentumRule))
            {
                TV gradAverage = TS.Add(TS.Multiply(TS.Load(ref w), c.A1), TS.Multiply(c.A2, gradient));
                TS.Store(gradAverage, ref w);
                average = TS.Add(average, TS.Multiply(TS.Multiply(c.A5, gradAverage), gradAverage));
            }

            TV denominator = TS.Add(TS.Sqrt(average), c.A3);
            if (typeof(TRule) == typeof(RmsPropCenteredRule))
            {
                update = TS.Multiply(c.A0, TS.Divide(gradient, denominator));
            }
            else
            {
                TV buffer = TS.Add(TS.Multiply(TS.Load(ref m), c.A4), TS.Divide(gradient, denominator));
                TS.Store(buffer, ref m);
                update = TS.Multiply(c.A0, buffer);
            }
        }
        else if (typeof(TRule) == typeof(AdaDeltaRule))
        {
            // s = ρ·s + (1−ρ)·g·g (v); d = √(u + ε) / √(s + ε) · g; u = ρ·u + (1−ρ)·d·d (m); p += (−lr)·d.
            // A0 = −lr, A1 = ρ, A2 = 1−ρ, A3 = ε.
            TV average = TS.Add(TS.Multiply(TS.Load(ref v), c.A1), TS.Multiply(TS.Multiply(c.A2, gradient), gradient));
            TS.Store(average, ref v);
            TV accumulated = TS.Load(ref m);
            TV delta = TS.Multiply(TS.Divide(TS.Sqrt(TS.Add(accumulated, c.A3)), TS.Sqrt(TS.Add(average, c.A3))), gradient);
            TS.Store(TS.Add(TS.Multiply(accumulated, c.A1), TS.Multiply(TS.Multiply(c.A2, delta), delta)), ref m);
            update = TS.Multiply(c.A0, delta);
        }
        else if (typeof(TRule) == typeof(AmsGradRule))
        {
            // Adam's moments, then v̂ = max(v̂, v) (w); p += (−step)·m / (√v̂ / √(1−β2^t) + ε).   Coefficients as Adam's.
            TV m1 = TS.Add(TS.Multiply(TS.Load(ref m), c.A0), TS.Multiply(c.A2, gradient));
            TV v1 = TS.Add(TS.Multiply(TS.Load(ref v), c.A1), TS.Multiply(TS.Multiply(c.A3, gradient), gradient));
            TV vMax = TS.Max(TS.Load(ref w), v1);
            TS.Store(m1, ref m);
            TS.Store(v1, ref v);
            TS.Store(vMax, ref w);
            update = TS.Divide(TS.Multiply(c.A4, m1), TS.Add(TS.Divide(TS.Sqrt(vMax), c.A5), c.A6));
        }
        else
        {
            // Adam: m = β1·m + (1−β1)·g; v = β2·v + (1−β2)·g·g; p += (−step)·m / (√v / √(1−β2^t) + ε).
            // A0 = β1, A1 = β2, A2 = 1−β1, A3 = 1−β2, A4 = −step = −lr/(1−β1^t), A5 = √(1−β2^t), A6 = ε.
            TV m1 = TS.Add(TS.Multiply(TS.Load(ref m), c.A0), TS.Multiply(c.A2, gradient));
            TV v1 = TS.Add(TS.Multiply(TS.Load(ref v), c.A1), TS.Multiply(TS.Multiply(c.A3, gradient), gradient));
            TS.Store(m1, ref m);
            TS.Store(v1, ref v);
            update = TS.Divide(TS.Multiply(c.A4, m1), TS.Add(TS.Divide(TS.Sqrt(v1), c.A5), c.A6));
        }

        TS.Store(TS.Add(TS.Load(ref p), update), ref p);
    }

    // The rules, as type arguments of Step.
    private struct MomentumRule;
    private struct NesterovRule;
    private struct AdaGradRule;
    private struct RmsPropRule;
    private struct RmsPropMomentumRule;
    private struct RmsPropCenteredRule;
    private struct RmsPropCenteredMomentumRule;
    private struct AmsGradRule;
    private struct AdaDeltaRule;
    private struct AdamRule;

    /// <summary>One part of a parallel update: elements [start, end) of every array.</summary>
    private sealed unsafe class UpdateJob<T> : ParallelJob
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        public Rule Rule;
        public T* P, G, M, V, W;
        public int Length;
        public Coefficients<T> C;

        public override void Run(int part, int parts)
        {
            long blocks = (Length + 63L) / 64; // long: an arena near Array.MaxLength would overflow int here
            int start = (int)Math.Min(Length, blocks * part / parts * 64);
            int end = (int)Math.Min(Length, blocks * (part + 1) / parts * 64);
            int n = end - start;
            Span<T> Slice(T* a) => a == null ? default : new Span<T>(a + start, n);
            Apply(Rule, Slice(P), Slice(G), Slice(M), Slice(V), Slice(W), C);
        }
    }

    private static void Check(int p, int g, int state, string stateName)
    {
        ThrowHelper.RequireSameLength(g, p, "g");
        ThrowHelper.RequireSameLength(state, p, stateName);
    }
}
