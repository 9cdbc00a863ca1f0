namespace NetGen.Kernels;

/// <summary>Which matrix-multiplication kernel a call uses. The generator picks one per layer at compile time
/// (<see cref="Gemm.Choose"/>); every mode computes the same product, and the two packed modes give identical bits.</summary>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public enum GemmMode
{
    /// <summary>Pick by <see cref="Gemm.Choose"/> from the shape.</summary>
    Auto = 0,

    /// <summary>Register-blocked, unpacked, one thread: for small products and batch-1 inference.</summary>
    Direct = 1,

    /// <summary>Cache-blocked with packed B panels and the 6×2-register micro-kernel, one thread.</summary>
    Packed = 2,

    /// <summary><see cref="Packed"/> split over every core; the same bits as <see cref="Packed"/>.</summary>
    PackedParallel = 3,
}
