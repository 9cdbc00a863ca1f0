using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

[assembly: InternalsVisibleTo("NetGen.Runtime.Tests")]
[assembly: InternalsVisibleTo("NetGen.Bench")] // --guard-cost switches the non-finite checks off (FiniteCheck.Disabled) to time the step without them
[assembly: InternalsVisibleTo("NetGen.Tests")] // ConvThreadTests holds the workers to run a training step on one thread

namespace NetGen.Kernels;

// The handful of vector operations the register-blocked kernels need, behind one static interface, so that
// a kernel is written once and instantiated for Vector512, Vector256, Vector128 and plain scalars (width 1).
// The scalar instantiation doubles as the tail handler for columns that do not fill a vector. Every member
// is a static call on a struct type argument, so the JIT specialises and inlines it: no virtual dispatch.

/// <summary>A SIMD register of <typeparamref name="T"/> lanes: the operations the GEMM micro-kernels use.</summary>
internal interface ISimd<TVec, T>
    where TVec : struct
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    /// <summary>Lanes per register.</summary>
    static abstract int Count { get; }

    /// <summary>All lanes zero.</summary>
    static abstract TVec Zero { get; }

    /// <summary>Loads <see cref="Count"/> elements starting at <paramref name="source"/>.</summary>
    static abstract TVec Load(ref T source);

    /// <summary>Stores <see cref="Count"/> elements starting at <paramref name="destination"/>.</summary>
    static abstract void Store(TVec value, ref T destination);

    /// <summary>Every lane = <paramref name="value"/>.</summary>
    static abstract TVec Broadcast(T value);

    /// <summary>a·b + c (fused where the hardware has FMA).</summary>
    static abstract TVec MultiplyAdd(TVec a, TVec b, TVec c);

    /// <summary>a + b.</summary>
    static abstract TVec Add(TVec a, TVec b);

    /// <summary>IEEE 754 maximum per lane (NaN propagates, +0 &gt; −0), as <c>TensorPrimitives.Max</c>.</summary>
    static abstract TVec Max(TVec a, TVec b);

    /// <summary>max(v, 0) per lane, NaN propagating (one max instruction on x86: −0 stays −0, unlike <see cref="Max"/>).</summary>
    static abstract TVec ReLU(TVec v);

    /// <summary>a · b.</summary>
    static abstract TVec Multiply(TVec a, TVec b);

    /// <summary>a / b (IEEE 754 division, per lane).</summary>
    static abstract TVec Divide(TVec a, TVec b);

    /// <summary>√v (IEEE 754 square root, per lane).</summary>
    static abstract TVec Sqrt(TVec v);

    /// <summary>Per lane: <paramref name="value"/> where <paramref name="key"/> &gt; 0, else 0 (NaN keys give 0): the ReLU
    /// derivative applied to a gradient.</summary>
    static abstract TVec KeepWherePositive(TVec value, TVec key);

    /// <summary>Σ lanes.</summary>
    static abstract T Sum(TVec value);

    /// <summary>destination[r] (+)= Σ lanes of s_r for r = 0..3 (four dot products finished at once).</summary>
    static abstract void StoreSums(ref T destination, TVec s0, TVec s1, TVec s2, TVec s3, bool accumulate);
}

/// <summary>512-bit registers (AVX-512).</summary>
internal readonly struct Simd512<T> : ISimd<Vector512<T>, T>
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    public static bool IsAccelerated => Vector512.IsHardwareAccelerated && Vector512<T>.IsSupported;
    public static int Count => Vector512<T>.Count;
    public static Vector512<T> Zero => Vector512<T>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Load(ref T source) => Vector512.LoadUnsafe(ref source);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector512<T> value, ref T destination) => value.StoreUnsafe(ref destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Broadcast(T value) => Vector512.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> MultiplyAdd(Vector512<T> a, Vector512<T> b, Vector512<T> c)
    {
        if (Avx512F.IsSupported)
        {
            if (typeof(T) == typeof(float))
            {
                return Vector512.FusedMultiplyAdd(a.AsSingle(), b.AsSingle(), c.AsSingle()).As<float, T>();
            }
            if (typeof(T) == typeof(double))
            {
                return Vector512.FusedMultiplyAdd(a.AsDouble(), b.AsDouble(), c.AsDouble()).As<double, T>();
            }
        }
        return (a * b) + c;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Add(Vector512<T> a, Vector512<T> b) => a + b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Max(Vector512<T> a, Vector512<T> b) => Vector512.Max(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> ReLU(Vector512<T> v)
    {
        // x86 max returns its second operand when either is NaN: max(0, v) keeps a NaN v.
        if (typeof(T) == typeof(float) && Avx512F.IsSupported)
        {
            return Avx512F.Max(Vector512<float>.Zero, v.AsSingle()).As<float, T>();
        }
        if (typeof(T) == typeof(double) && Avx512F.IsSupported)
        {
            return Avx512F.Max(Vector512<double>.Zero, v.AsDouble()).As<double, T>();
        }
        return Vector512.Max(v, Vector512<T>.Zero);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Multiply(Vector512<T> a, Vector512<T> b) => a * b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Divide(Vector512<T> a, Vector512<T> b) => a / b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Sqrt(Vector512<T> v) => Vector512.Sqrt(v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> KeepWherePositive(Vector512<T> value, Vector512<T> key) =>
        Vector512.BitwiseAnd(value, Vector512.GreaterThan(key, Vector512<T>.Zero));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Sum(Vector512<T> value) => Vector512.Sum(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreSums(ref T destination, Vector512<T> s0, Vector512<T> s1, Vector512<T> s2, Vector512<T> s3, bool accumulate) =>
        Simd256<T>.StoreSums(ref destination,
            s0.GetLower() + s0.GetUpper(), s1.GetLower() + s1.GetUpper(),
            s2.GetLower() + s2.GetUpper(), s3.GetLower() + s3.GetUpper(), accumulate);
}

/// <summary>256-bit registers (AVX2).</summary>
internal readonly struct Simd256<T> : ISimd<Vector256<T>, T>
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    public static bool IsAccelerated => Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported;
    public static int Count => Vector256<T>.Count;
    public static Vector256<T> Zero => Vector256<T>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Load(ref T source) => Vector256.LoadUnsafe(ref source);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector256<T> value, ref T destination) => value.StoreUnsafe(ref destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Broadcast(T value) => Vector256.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> MultiplyAdd(Vector256<T> a, Vector256<T> b, Vector256<T> c)
    {
        // Without hardware FMA, Vector256.FusedMultiplyAdd is emulated (slowly); a·b + c is what we want then.
        if (Fma.IsSupported)
        {
            if (typeof(T) == typeof(float))
            {
                return Vector256.FusedMultiplyAdd(a.AsSingle(), b.AsSingle(), c.AsSingle()).As<float, T>();
            }
            if (typeof(T) == typeof(double))
            {
                return Vector256.FusedMultiplyAdd(a.AsDouble(), b.AsDouble(), c.AsDouble()).As<double, T>();
            }
        }
        return (a * b) + c;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Add(Vector256<T> a, Vector256<T> b) => a + b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Max(Vector256<T> a, Vector256<T> b) => Vector256.Max(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> ReLU(Vector256<T> v)
    {
        // x86 max returns its second operand when either is NaN: max(0, v) keeps a NaN v.
        if (typeof(T) == typeof(float) && Avx.IsSupported)
        {
            return Avx.Max(Vector256<float>.Zero, v.AsSingle()).As<float, T>();
        }
        if (typeof(T) == typeof(double) && Avx.IsSupported)
        {
            return Avx.Max(Vector256<double>.Zero, v.AsDouble()).As<double, T>();
        }
        return Vector256.Max(v, Vector256<T>.Zero);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Multiply(Vector256<T> a, Vector256<T> b) => a * b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Divide(Vector256<T> a, Vector256<T> b) => a / b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Sqrt(Vector256<T> v) => Vector256.Sqrt(v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> KeepWherePositive(Vector256<T> value, Vector256<T> key) =>
        Vector256.BitwiseAnd(value, Vector256.GreaterThan(key, Vector256<T>.Zero));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Sum(Vector256<T> value) => Vector256.Sum(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreSums(ref T destination, Vector256<T> s0, Vector256<T> s1, Vector256<T> s2, Vector256<T> s3, bool accumulate) =>
        Simd128<T>.StoreSums(ref destination,
            s0.GetLower() + s0.GetUpper(), s1.GetLower() + s1.GetUpper(),
            s2.GetLower() + s2.GetUpper(), s3.GetLower() + s3.GetUpper(), accumulate);
}

/// <summary>128-bit registers (SSE, Arm64 AdvSIMD).</summary>
internal readonly struct Simd128<T> : ISimd<Vector128<T>, T>
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    public static bool IsAccelerated => Vector128.IsHardwareAccelerated && Vector128<T>.IsSupported;
    public static int Count => Vector128<T>.Count;
    public static Vector128<T> Zero => Vector128<T>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Load(ref T source) => Vector128.LoadUnsafe(ref source);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector128<T> value, ref T destination) => value.StoreUnsafe(ref destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Broadcast(T value) => Vector128.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> MultiplyAdd(Vector128<T> a, Vector128<T> b, Vector128<T> c)
    {
        if (Fma.IsSupported || AdvSimd.Arm64.IsSupported)
        {
            if (typeof(T) == typeof(float))
            {
                return Vector128.FusedMultiplyAdd(a.AsSingle(), b.AsSingle(), c.AsSingle()).As<float, T>();
            }
            if (typeof(T) == typeof(double))
            {
                return Vector128.FusedMultiplyAdd(a.AsDouble(), b.AsDouble(), c.AsDouble()).As<double, T>();
            }
        }
        return (a * b) + c;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Add(Vector128<T> a, Vector128<T> b) => a + b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Max(Vector128<T> a, Vector128<T> b) => Vector128.Max(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> ReLU(Vector128<T> v)
    {
        // x86 max returns its second operand when either is NaN: max(0, v) keeps a NaN v.
        if (typeof(T) == typeof(float) && Sse.IsSupported)
        {
            return Sse.Max(Vector128<float>.Zero, v.AsSingle()).As<float, T>();
        }
        if (typeof(T) == typeof(double) && Sse2.IsSupported)
        {
            return Sse2.Max(Vector128<double>.Zero, v.AsDouble()).As<double, T>();
        }
        return Vector128.Max(v, Vector128<T>.Zero);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Multiply(Vector128<T> a, Vector128<T> b) => a * b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Divide(Vector128<T> a, Vector128<T> b) => a / b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Sqrt(Vector128<T> v) => Vector128.Sqrt(v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> KeepWherePositive(Vector128<T> value, Vector128<T> key) =>
        Vector128.BitwiseAnd(value, Vector128.GreaterThan(key, Vector128<T>.Zero));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Sum(Vector128<T> value) => Vector128.Sum(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreSums(ref T destination, Vector128<T> s0, Vector128<T> s1, Vector128<T> s2, Vector128<T> s3, bool accumulate)
    {
        // Pairwise adds transpose-and-reduce four registers in three (float) or two (double) instructions,
        // instead of four separate horizontal sums.
        if (typeof(T) == typeof(float) && (Sse3.IsSupported || AdvSimd.Arm64.IsSupported))
        {
            Vector128<float> sums = PairwiseAdd(
                PairwiseAdd(s0.AsSingle(), s1.AsSingle()),
                PairwiseAdd(s2.AsSingle(), s3.AsSingle()));
            ref float d = ref Unsafe.As<T, float>(ref destination);
            if (accumulate)
            {
                sums += Vector128.LoadUnsafe(ref d);
            }
            sums.StoreUnsafe(ref d);
            return;
        }
        if (typeof(T) == typeof(double) && (Sse3.IsSupported || AdvSimd.Arm64.IsSupported))
        {
            Vector128<double> sums01 = PairwiseAdd(s0.AsDouble(), s1.AsDouble());
            Vector128<double> sums23 = PairwiseAdd(s2.AsDouble(), s3.AsDouble());
            ref double d = ref Unsafe.As<T, double>(ref destination);
            if (accumulate)
            {
                sums01 += Vector128.LoadUnsafe(ref d);
                sums23 += Vector128.LoadUnsafe(ref Unsafe.Add(ref d, 2));
            }
            sums01.StoreUnsafe(ref d);
            sums23.StoreUnsafe(ref Unsafe.Add(ref d, 2));
            return;
        }
        Scalar<T>.StoreSums(ref destination, Vector128.Sum(s0), Vector128.Sum(s1), Vector128.Sum(s2), Vector128.Sum(s3), accumulate);
    }

    /// <summary>[a0+a1, a2+a3, b0+b1, b2+b3] (SSE3 haddps, Arm64 faddp).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> PairwiseAdd(Vector128<float> a, Vector128<float> b) =>
        Sse3.IsSupported ? Sse3.HorizontalAdd(a, b) : AdvSimd.Arm64.AddPairwise(a, b);

    /// <summary>[a0+a1, b0+b1] (SSE3 haddpd, Arm64 faddp).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<double> PairwiseAdd(Vector128<double> a, Vector128<double> b) =>
        Sse3.IsSupported ? Sse3.HorizontalAdd(a, b) : AdvSimd.Arm64.AddPairwise(a, b);
}

/// <summary>A "register" of one lane: the portable fallback and the tail handler.</summary>
internal readonly struct Scalar<T> : ISimd<T, T>
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    public static int Count => 1;
    public static T Zero => T.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Load(ref T source) => source;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(T value, ref T destination) => destination = value;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Broadcast(T value) => value;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T MultiplyAdd(T a, T b, T c) => (a * b) + c;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Add(T a, T b) => a + b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Max(T a, T b) => T.Max(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T ReLU(T v) => T.Zero > v ? T.Zero : v; // as x86 max(0, v): NaN and −0 pass through

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Multiply(T a, T b) => a * b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Divide(T a, T b) => a / b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Sqrt(T v) => T.Sqrt(v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T KeepWherePositive(T value, T key) => key > T.Zero ? value : T.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Sum(T value) => value;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreSums(ref T destination, T s0, T s1, T s2, T s3, bool accumulate)
    {
        ref T d0 = ref destination;
        ref T d1 = ref Unsafe.Add(ref destination, 1);
        ref T d2 = ref Unsafe.Add(ref destination, 2);
        ref T d3 = ref Unsafe.Add(ref destination, 3);
        if (accumulate)
        {
            d0 += s0; d1 += s1; d2 += s2; d3 += s3;
        }
        else
        {
            d0 = s0; d1 = s1; d2 = s2; d3 = s3;
        }
    }
}
