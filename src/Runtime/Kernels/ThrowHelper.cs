using System;
using System.Diagnostics.CodeAnalysis;

namespace NetGen.Kernels;

// Argument checks shared by the kernels. The throwing paths live here, out of line, so the hot methods stay
// small enough to inline and the checks cost a compare and a branch each.
internal static class ThrowHelper
{
    /// <summary>Throws unless a span of <paramref name="length"/> elements holds at least <paramref name="required"/>.</summary>
    public static void RequireLength(int length, long required, string paramName)
    {
        if (length < required)
        {
            ThrowTooShort(length, required, paramName);
        }
    }

    /// <summary>Throws unless two element-wise operands have the same length.</summary>
    public static void RequireSameLength(int length, int expected, string paramName)
    {
        if (length != expected)
        {
            ThrowLengthMismatch(length, expected, paramName);
        }
    }

    /// <summary>Throws unless <paramref name="value"/> ≥ 0.</summary>
    public static void RequireNonNegative(int value, string paramName)
    {
        if (value < 0)
        {
            ThrowNegative(value, paramName);
        }
    }

    [DoesNotReturn]
    public static void ThrowTooShort(int length, long required, string paramName) =>
        throw new ArgumentException($"Span '{paramName}' has {length} elements but at least {required} are required.", paramName);

    [DoesNotReturn]
    public static void ThrowLengthMismatch(int length, int expected, string paramName) =>
        throw new ArgumentException($"Span '{paramName}' has {length} elements but {expected} are required (element-wise operands have equal lengths).", paramName);

    [DoesNotReturn]
    public static void ThrowNegative(int value, string paramName) =>
        throw new ArgumentOutOfRangeException(paramName, value, $"'{paramName}' must be non-negative.");

    [DoesNotReturn]
    public static void ThrowLabel(int label, int row, int classes) =>
        throw new ArgumentOutOfRangeException("labels", label, $"Label {label} of row {row} is outside [0, {classes}).");
}
