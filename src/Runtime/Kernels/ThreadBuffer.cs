using System;

namespace NetGen.Kernels;

/// <summary>
/// A kernel's scratch array held per thread (a <c>[ThreadStatic]</c> field): grown to the largest length asked for, at
/// least 64 elements, then reused, so a kernel allocates nothing per call after its first.
/// </summary>
internal static class ThreadBuffer
{
    /// <summary><paramref name="buffer"/>, replaced by a larger array first if it holds fewer than
    /// <paramref name="length"/> elements.</summary>
    public static T[] Ensure<T>(ref T[]? buffer, long length)
    {
        if (buffer is null || buffer.Length < length)
        {
            buffer = new T[Math.Max(length, 64)];
        }
        return buffer;
    }
}
