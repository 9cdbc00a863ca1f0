using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace NetGen.Kernels;

// The loop skeleton shared by the element-wise kernels that TensorPrimitives has no routine for, in the
// style of TensorPrimitives' own operator structs: an operator supplies a scalar and a Vector<T> form of
// one formula, and Map runs the vector form over whole registers and the scalar form over the tail.
// Each iteration reads its inputs before it writes the destination, so a destination that is exactly
// one of the inputs (in-place) is fine.

/// <summary>A formula f(a; s) of one tensor and a scalar parameter, in scalar and vector form.</summary>
internal interface IUnaryOperator<T>
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    static abstract T Invoke(T a, T s);

    static abstract Vector<T> Invoke(Vector<T> a, Vector<T> s);
}

/// <summary>A formula f(a, b; s) of two tensors and a scalar parameter, in scalar and vector form.</summary>
internal interface IBinaryOperator<T>
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    static abstract T Invoke(T a, T b, T s);

    static abstract Vector<T> Invoke(Vector<T> a, Vector<T> b, Vector<T> s);
}

internal static class ElementWise
{
    /// <summary>destination[i] = TOp(a[i]; s); both spans have the same length.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Map<T, TOp>(ReadOnlySpan<T> a, Span<T> destination, T s, string destinationName)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TOp : IUnaryOperator<T>
    {
        ThrowHelper.RequireSameLength(destination.Length, a.Length, destinationName);

        ref T ra = ref MemoryMarshal.GetReference(a);
        ref T rd = ref MemoryMarshal.GetReference(destination);
        nint length = a.Length;
        nint i = 0;
        if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported)
        {
            Vector<T> vs = new(s);
            nint w = Vector<T>.Count;
            for (; i <= length - w; i += w)
            {
                TOp.Invoke(Vector.LoadUnsafe(ref ra, (nuint)i), vs).StoreUnsafe(ref rd, (nuint)i);
            }
        }
        for (; i < length; i++)
        {
            Unsafe.Add(ref rd, i) = TOp.Invoke(Unsafe.Add(ref ra, i), s);
        }
    }

    /// <summary>destination[i] = TOp(a[i], b[i]; s); all three spans have the same length.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Map<T, TOp>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> destination, T s, string bName, string destinationName)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TOp : IBinaryOperator<T>
    {
        ThrowHelper.RequireSameLength(b.Length, a.Length, bName);
        ThrowHelper.RequireSameLength(destination.Length, a.Length, destinationName);

        ref T ra = ref MemoryMarshal.GetReference(a);
        ref T rb = ref MemoryMarshal.GetReference(b);
        ref T rd = ref MemoryMarshal.GetReference(destination);
        nint length = a.Length;
        nint i = 0;
        if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported)
        {
            Vector<T> vs = new(s);
            nint w = Vector<T>.Count;
            for (; i <= length - w; i += w)
            {
                Vector<T> va = Vector.LoadUnsafe(ref ra, (nuint)i);
                Vector<T> vb = Vector.LoadUnsafe(ref rb, (nuint)i);
                TOp.Invoke(va, vb, vs).StoreUnsafe(ref rd, (nuint)i);
            }
        }
        for (; i < length; i++)
        {
            Unsafe.Add(ref rd, i) = TOp.Invoke(Unsafe.Add(ref ra, i), Unsafe.Add(ref rb, i), s);
        }
    }
}
