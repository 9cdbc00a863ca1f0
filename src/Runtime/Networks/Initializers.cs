using System;
using System.Numerics;

namespace NetGen;

/// <summary>
/// Parameter initialisation from counter-based streams: element i of a tensor depends only on (key, i), so the result
/// is the same on any machine, thread count or backend.
/// </summary>
public static class Initializers
{
    /// <summary>destination[i] = std · Normal(key, i).</summary>
    public static void Normal<T>(Span<T> destination, double std, ulong key)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        for (int i = 0; i < destination.Length; i++)
        {
            destination[i] = T.CreateTruncating(std * CounterRng.Normal(key, (ulong)i));
        }
    }

    /// <summary>destination[i] = limit · (2·UniformDouble(key, i) − 1), i.e. U[−limit, limit).</summary>
    public static void Uniform<T>(Span<T> destination, double limit, ulong key)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        for (int i = 0; i < destination.Length; i++)
        {
            destination[i] = T.CreateTruncating(limit * ((2.0 * CounterRng.UniformDouble(key, (ulong)i)) - 1.0));
        }
    }
}
