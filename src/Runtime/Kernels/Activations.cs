using System;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace NetGen.Kernels;

/// <summary>
/// Element-wise activation functions and their derivatives.
/// </summary>
/// <remarks>
/// Forward writes <c>y</c> from <c>x</c>; backward overwrites <c>dx</c> from <c>dy</c> and the tensor it names.
/// All spans of one call have the same length, and a destination may be exactly one of the inputs
/// (in-place). Kinks follow PyTorch: the derivative at exactly <c>x = 0</c> is the left one.
/// </remarks>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public static class Activations
{
    // ------------------------------------------------------------------ ReLU

    /// <summary>y = max(0, x)</summary>
    /// <param name="x">Input.</param>
    /// <param name="y">Output.</param>
    public static void ReLUForward<T>(ReadOnlySpan<T> x, Span<T> y)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ThrowHelper.RequireSameLength(y.Length, x.Length, nameof(y));
        TensorPrimitives.Max(x, T.Zero, y);
    }

    /// <summary>dx = dy · 1(y &gt; 0)</summary>
    /// <param name="dy">Gradient of the output.</param>
    /// <param name="y">Output of the forward pass.</param>
    /// <param name="dx">Gradient of the input (overwritten).</param>
    public static void ReLUBackward<T>(ReadOnlySpan<T> dy, ReadOnlySpan<T> y, Span<T> dx)
        where T : unmanaged, IBinaryFloatingPointIeee754<T> =>
        ElementWise.Map<T, ReLUGradient<T>>(dy, y, dx, T.Zero, nameof(y), nameof(dx));

    // ------------------------------------------------------------------ Leaky ReLU and PReLU

    /// <summary>y = x &gt; 0 ? x : slope · x</summary>
    /// <param name="x">Input.</param>
    /// <param name="y">Output.</param>
    /// <param name="slope">Slope for negative inputs.</param>
    public static void LeakyReLUForward<T>(ReadOnlySpan<T> x, Span<T> y, T slope)
        where T : unmanaged, IBinaryFloatingPointIeee754<T> =>
        ElementWise.Map<T, LeakyReLU<T>>(x, y, slope, nameof(y));

    /// <summary>dx = dy · (x &gt; 0 ? 1 : slope)</summary>
    /// <param name="dy">Gradient of the output.</param>
    /// <param name="x">Input of the forward pass.</param>
    /// <param name="dx">Gradient of the input (overwritten).</param>
    /// <param name="slope">Slope for negative inputs.</param>
    public static void LeakyReLUBackward<T>(ReadOnlySpan<T> dy, ReadOnlySpan<T> x, Span<T> dx, T slope)
        where T : unmanaged, IBinaryFloatingPointIeee754<T> =>
        ElementWise.Map<T, LeakyReLUGradient<T>>(dy, x, dx, slope, nameof(x), nameof(dx));

    /// <summary>y = x &gt; 0 ? x : a · x</summary>
    /// <param name="x">Input.</param>
    /// <param name="y">Output.</param>
    /// <param name="a">The learned slope for negative inputs.</param>
    public static void PReLUForward<T>(ReadOnlySpan<T> x, Span<T> y, T a)
        where T : unmanaged, IBinaryFloatingPointIeee754<T> =>
        ElementWise.Map<T, LeakyReLU<T>>(x, y, a, nameof(y));

    /// <summary>dx = dy · (x &gt; 0 ? 1 : a); returns ∂L/∂a = Σ dy · x · 1(x ≤ 0)</summary>
    /// <param name="dy">Gradient of the output.</param>
    /// <param name="x">Input of the forward pass.</param>
    /// <param name="dx">Gradient of the input (overwritten).</param>
    /// <param name="a">The learned slope for negative inputs.</param>
    /// <returns>The gradient of the slope over these elements; the caller adds it to its gradient.</returns>
    public static T PReLUBackward<T>(ReadOnlySpan<T> dy, ReadOnlySpan<T> x, Span<T> dx, T a)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ThrowHelper.RequireSameLength(x.Length, dy.Length, nameof(x));
        ThrowHelper.RequireSameLength(dx.Length, dy.Length, nameof(dx));

        ref T rdy = ref MemoryMarshal.GetReference(dy);
        ref T rx = ref MemoryMarshal.GetReference(x);
        ref T rdx = ref MemoryMarshal.GetReference(dx);
        nint length = dy.Length;
        nint i = 0;
        T da = T.Zero;
        if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported)
        {
            Vector<T> va = new(a);
            Vector<T> sum = Vector<T>.Zero;
            nint w = Vector<T>.Count;
            for (; i <= length - w; i += w)
            {
                Vector<T> g = Vector.LoadUnsafe(ref rdy, (nuint)i);
                Vector<T> v = Vector.LoadUnsafe(ref rx, (nuint)i);
                Vector<T> positive = Vector.GreaterThan(v, Vector<T>.Zero);
                sum += Vector.ConditionalSelect(positive, Vector<T>.Zero, g * v);
                Vector.ConditionalSelect(positive, g, g * va).StoreUnsafe(ref rdx, (nuint)i);
            }
            da = Vector.Sum(sum);
        }
        for (; i < length; i++)
        {
            T g = Unsafe.Add(ref rdy, i);
            T v = Unsafe.Add(ref rx, i);
            if (v > T.Zero)
            {
                Unsafe.Add(ref rdx, i) = g;
            }
            else
            {
                da += g * v;
                Unsafe.Add(ref rdx, i) = g * a;
            }
        }
        return da;
    }

    // ------------------------------------------------------------------ Sigmoid

    /// <summary>y = 1 / (1 + e^(−x))</summary>
    /// <param name="x">Input.</param>
    /// <param name="y">Output.</param>
    public static void SigmoidForward<T>(ReadOnlySpan<T> x, Span<T> y)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ThrowHelper.RequireSameLength(y.Length, x.Length, nameof(y));
        if (!x.IsEmpty) // TensorPrimitives.Sigmoid rejects empty spans
        {
            TensorPrimitives.Sigmoid(x, y);
        }
    }

    /// <summary>dx = dy · y · (1 − y)</summary>
    /// <param name="dy">Gradient of the output.</param>
    /// <param name="y">Output of the forward pass.</param>
    /// <param name="dx">Gradient of the input (overwritten).</param>
    public static void SigmoidBackward<T>(ReadOnlySpan<T> dy, ReadOnlySpan<T> y, Span<T> dx)
        where T : unmanaged, IBinaryFloatingPointIeee754<T> =>
        ElementWise.Map<T, SigmoidGradient<T>>(dy, y, dx, T.Zero, nameof(y), nameof(dx));

    // ------------------------------------------------------------------ Tanh

    /// <summary>y = tanh(x)</summary>
    /// <param name="x">Input.</param>
    /// <param name="y">Output.</param>
    public static void TanhForward<T>(ReadOnlySpan<T> x, Span<T> y)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ThrowHelper.RequireSameLength(y.Length, x.Length, nameof(y));
        TensorPrimitives.Tanh(x, y);
    }

    /// <summary>dx = dy · (1 − y²)</summary>
    /// <param name="dy">Gradient of the output.</param>
    /// <param name="y">Output of the forward pass.</param>
    /// <param name="dx">Gradient of the input (overwritten).</param>
    public static void TanhBackward<T>(ReadOnlySpan<T> dy, ReadOnlySpan<T> y, Span<T> dx)
        where T : unmanaged, IBinaryFloatingPointIeee754<T> =>
        ElementWise.Map<T, TanhGradient<T>>(dy, y, dx, T.Zero, nameof(y), nameof(dx));

    // ------------------------------------------------------------------ ELU

    /// <summary>y = x &gt; 0 ? x : α · (e^x − 1)</summary>
    /// <param name="x">Input.</param>
    /// <param name="y">Output.</param>
    /// <param name="alpha">α, the saturation value for large negative inputs is −α.</param>
    public static void EluForward<T>(ReadOnlySpan<T> x, Span<T> y, T alpha)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ThrowHelper.RequireSameLength(y.Length, x.Length, nameof(y));

        // e^x − 1 comes from TensorPrimitives (vectorised); it goes through a small stack buffer, one chunk
        // at a time, so that y may be x itself.
        const int Chunk = 256;
        Span<T> expm1 = stackalloc T[Chunk];
        for (int start = 0; start < x.Length; start += Chunk)
        {
            int count = Math.Min(Chunk, x.Length - start);
            ReadOnlySpan<T> xs = x.Slice(start, count);
            Span<T> e = expm1.Slice(0, count);
            TensorPrimitives.ExpM1(xs, e);
            ElementWise.Map<T, EluSelect<T>>(xs, e, y.Slice(start, count), alpha, nameof(x), nameof(y));
        }
    }

    /// <summary>dx = dy · (x &gt; 0 ? 1 : y + α)</summary>
    /// <param name="dy">Gradient of the output.</param>
    /// <param name="x">Input of the forward pass.</param>
    /// <param name="y">Output of the forward pass.</param>
    /// <param name="dx">Gradient of the input (overwritten).</param>
    /// <param name="alpha">α of the forward pass.</param>
    public static void EluBackward<T>(ReadOnlySpan<T> dy, ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> dx, T alpha)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ThrowHelper.RequireSameLength(x.Length, dy.Length, nameof(x));
        ThrowHelper.RequireSameLength(y.Length, dy.Length, nameof(y));
        ThrowHelper.RequireSameLength(dx.Length, dy.Length, nameof(dx));

        ref T rdy = ref MemoryMarshal.GetReference(dy);
        ref T rx = ref MemoryMarshal.GetReference(x);
        ref T ry = ref MemoryMarshal.GetReference(y);
        ref T rdx = ref MemoryMarshal.GetReference(dx);
        nint length = dy.Length;
        nint i = 0;
        if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported)
        {
            Vector<T> va = new(alpha);
            nint w = Vector<T>.Count;
            for (; i <= length - w; i += w)
            {
                Vector<T> g = Vector.LoadUnsafe(ref rdy, (nuint)i);
                Vector<T> v = Vector.LoadUnsafe(ref rx, (nuint)i);
                Vector<T> o = Vector.LoadUnsafe(ref ry, (nuint)i);
                Vector.ConditionalSelect(Vector.GreaterThan(v, Vector<T>.Zero), g, g * (o + va)).StoreUnsafe(ref rdx, (nuint)i);
            }
        }
        for (; i < length; i++)
        {
            T g = Unsafe.Add(ref rdy, i);
            Unsafe.Add(ref rdx, i) = Unsafe.Add(ref rx, i) > T.Zero ? g : g * (Unsafe.Add(ref ry, i) + alpha);
        }
    }

    // ------------------------------------------------------------------ Identity

    /// <summary>y = x</summary>
    /// <param name="x">Input.</param>
    /// <param name="y">Output.</param>
    public static void IdentityForward<T>(ReadOnlySpan<T> x, Span<T> y)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ThrowHelper.RequireSameLength(y.Length, x.Length, nameof(y));
        x.CopyTo(y);
    }

    /// <summary>dx = dy</summary>
    /// <param name="dy">Gradient of the output.</param>
    /// <param name="dx">Gradient of the input (overwritten).</param>
    public static void IdentityBackward<T>(ReadOnlySpan<T> dy, Span<T> dx)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ThrowHelper.RequireSameLength(dx.Length, dy.Length, nameof(dx));
        dy.CopyTo(dx);
    }

    // ------------------------------------------------------------------ Operators

    /// <summary>f(dy, y) = y &gt; 0 ? dy : 0</summary>
    private readonly struct ReLUGradient<T> : IBinaryOperator<T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        public static T Invoke(T dy, T y, T s) => y > T.Zero ? dy : T.Zero;

        public static Vector<T> Invoke(Vector<T> dy, Vector<T> y, Vector<T> s) =>
            Vector.ConditionalSelect(Vector.GreaterThan(y, Vector<T>.Zero), dy, Vector<T>.Zero);
    }

    /// <summary>f(x; s) = x &gt; 0 ? x : s · x</summary>
    private readonly struct LeakyReLU<T> : IUnaryOperator<T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        public static T Invoke(T x, T slope) => x > T.Zero ? x : slope * x;

        public static Vector<T> Invoke(Vector<T> x, Vector<T> slope) =>
            Vector.ConditionalSelect(Vector.GreaterThan(x, Vector<T>.Zero), x, slope * x);
    }

    /// <summary>f(dy, x; s) = x &gt; 0 ? dy : s · dy</summary>
    private readonly struct LeakyReLUGradient<T> : IBinaryOperator<T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        public static T Invoke(T dy, T x, T slope) => x > T.Zero ? dy : slope * dy;

        public static Vector<T> Invoke(Vector<T> dy, Vector<T> x, Vector<T> slope) =>
            Vector.ConditionalSelect(Vector.GreaterThan(x, Vector<T>.Zero), dy, slope * dy);
    }

    /// <summary>f(dy, y) = dy · (1 − y) · y (PyTorch's order of operations)</summary>
    private readonly struct SigmoidGradient<T> : IBinaryOperator<T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        public static T Invoke(T dy, T y, T s) => dy * (T.One - y) * y;

        public static Vector<T> Invoke(Vector<T> dy, Vector<T> y, Vector<T> s) => dy * (Vector<T>.One - y) * y;
    }

    /// <summary>f(dy, y) = dy · (1 − y · y)</summary>
    private readonly struct TanhGradient<T> : IBinaryOperator<T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        public static T Invoke(T dy, T y, T s) => dy * (T.One - (y * y));

        public static Vector<T> Invoke(Vector<T> dy, Vector<T> y, Vector<T> s) => dy * (Vector<T>.One - (y * y));
    }

    /// <summary>f(x, e; α) = x &gt; 0 ? x : α · e, with e = e^x − 1</summary>
    /// <remarks>In float32, e^x − 1 for −0.5 &lt; x ≤ 0 is the Taylor polynomial x + x²/2! + … + x⁹/9! (Horner, each multiply
    /// and add rounded on its own; the first omitted term is below 2.7e-10 relative), not TensorPrimitives.ExpM1, which
    /// computes e^x − 1 by subtraction and loses up to 3e-4 relative near 0 (PyTorch's ELU uses an accurate expm1). It is
    /// the CUDA kernel's <c>ng_expm1</c> operation for operation, so both backends give the same bits there. float64 keeps
    /// TensorPrimitives.ExpM1, whose cancellation costs about 1e-16/|x| relative.</remarks>
    private readonly struct EluSelect<T> : IBinaryOperator<T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        public static T Invoke(T x, T expm1, T alpha)
        {
            if (typeof(T) == typeof(float) && x > Half && x <= T.Zero)
            {
                expm1 = Series(x);
            }

            return x > T.Zero ? x : alpha * expm1;
        }

        public static Vector<T> Invoke(Vector<T> x, Vector<T> expm1, Vector<T> alpha)
        {
            if (typeof(T) == typeof(float))
            {
                expm1 = Vector.ConditionalSelect(Vector.GreaterThan(x, new Vector<T>(Half)), Series(x), expm1);
            }

            return Vector.ConditionalSelect(Vector.GreaterThan(x, Vector<T>.Zero), x, alpha * expm1);
        }

        private static T Half => -T.One / T.CreateChecked(2);

        /// <summary>1/k! as T, rounded once (for float: 1.0f / k!, as kernels.cu writes it).</summary>
        private static T C(int factorial) => T.One / T.CreateChecked(factorial);

        private static T Series(T x)
        {
            T p = C(362880);
            p = (p * x) + C(40320);
            p = (p * x) + C(5040);
            p = (p * x) + C(720);
            p = (p * x) + C(120);
            p = (p * x) + C(24);
            p = (p * x) + C(6);
            p = (p * x) + C(2);
            p = (p * x) + T.One;
            return p * x;
        }

        private static Vector<T> Series(Vector<T> x)
        {
            Vector<T> p = new(C(362880));
            p = (p * x) + new Vector<T>(C(40320));
            p = (p * x) + new Vector<T>(C(5040));
            p = (p * x) + new Vector<T>(C(720));
            p = (p * x) + new Vector<T>(C(120));
            p = (p * x) + new Vector<T>(C(24));
            p = (p * x) + new Vector<T>(C(6));
            p = (p * x) + new Vector<T>(C(2));
            p = (p * x) + Vector<T>.One;
            return p * x;
        }
    }
}
