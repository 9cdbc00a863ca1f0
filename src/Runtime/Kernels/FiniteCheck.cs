using System;
using System.ComponentModel;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Threading;

namespace NetGen.Kernels;

/// <summary>
/// The non-finite check of a training step folded into the kernels that write its parameter gradients: a kernel handed
/// one records whether any gradient value it stored was NaN or ±∞, while the value is still in a register (the packed
/// GEMM's epilogue) or still in the writing core's cache (the small tensors it wrote just before), so that no separate
/// read of the gradient arena remains. A generated network holds one, resets it at the start of Backward and reads
/// <see cref="AllFinite"/> before the update (docs/adr/0040-non-finite-checks-in-the-kernels.md).
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class FiniteCheck
{
    /// <summary>0 while every checked value was finite; set to 1 (by any thread) when one was not.</summary>
    internal int NonFinite;

    /// <summary>For the --guard-cost benchmark only: every check of a training step (the kernels', the argument reads and the
    /// arena reads in <see cref="Guard"/>) is skipped, so the step can be timed with and without them in one process.</summary>
    internal static bool Disabled;

    /// <summary>A check nobody reads, pinned in place of a null one (the kernels then get a null flag).</summary>
    internal static readonly FiniteCheck None = new();

    /// <summary>Starts a new step: nothing non-finite seen.</summary>
    public void Reset() => NonFinite = 0;

    /// <summary>Whether every value checked since <see cref="Reset"/> was finite.</summary>
    public bool AllFinite => Volatile.Read(ref NonFinite) == 0;

    /// <summary>This check, or null when the benchmark switch has turned the checks off.</summary>
    internal static FiniteCheck? Active(FiniteCheck? check) => Disabled ? null : check;

    /// <summary>Records whether every value of <paramref name="values"/>, just written by this core, is finite.</summary>
    internal void Observe<T>(ReadOnlySpan<T> values)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        bool finite = typeof(T) == typeof(float)
            ? Guard.AllFinite(MemoryMarshal.Cast<T, float>(values))
            : Guard.AllFinite<T>(values);
        if (!finite)
        {
            Volatile.Write(ref NonFinite, 1);
        }
    }
}
